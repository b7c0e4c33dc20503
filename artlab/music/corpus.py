"""Melodies from music21's bundled corpus, extracted once into a small dataset; your own files.

Lesson 06 (``notebooks/06_music_as_data.ipynb``) uses it; lesson 07 trains on it.

**The dataset.** Parsing scores with music21 is slow (all 8,514 Essen folk songs take
about ten minutes), so the melodies were extracted once into
``artlab/music/data/melodies.json.gz``, which ships with the package and loads in about a
second (:func:`load_corpus`). It holds, for every tune, the events of its melody (MIDI
pitch or rest, duration in quarter notes), its meter, key, upbeat, title, music21 source
id, collection, group and split. Four collections:

==============  ==========================================================================
``chorales``    the soprano line of each of the Bach chorales in ``corpus.chorales.Iterator``
                (each file once); key from music21's analysis of the whole four-part score
``essen``       every tune of the Essen folk-song collection (``essenFolksong/*.abc``)
``ryans``       Ryan's Mammoth Collection (``ryansMammoth/*.abc``, one tune per file)
``oneills``     O'Neill's 1850 collection (``oneills1850/*.abc``)
==============  ==========================================================================

How a melody is read is :func:`artlab.music.encoding.from_stream`: tied notes become one
event, grace notes and chord symbols are skipped, leading rests set the upbeat,
trailing rests go, repeats are kept as written (not expanded). For the fiddle
collections a double stop keeps its top note (``chords="top"``). Folk tunes take the key
of music21's analysis of the melody. A tune is left out, with the reason counted in
:attr:`Corpus.info`, when music21 cannot parse it, it changes meter, it has several voices,
it has no notes, or a duration is off a 1/48-quarter grid.

**Groups and the split.** The chorale corpus holds the same tune harmonised several
times, and folk collections hold variants of one tune. Were they split at random, a
long n-gram model would score well on the test set by copying. So before splitting,
tunes are **grouped**: two tunes that share any stretch of four bars verbatim, up to
transposition (the same intervals and the same durations; bars of the tune with the
shorter bar, so four bars of 2/4 inside a 4/4 tune count), are in one group, and so are
tunes linked through a chain of such pairs. The chorales' 345 tunes form 241 groups, and
about a hundred fiddle tunes are shared by Ryan's and O'Neill's. Whole groups are then
assigned to a split by a hash of the group's first tune id: 80% train, 10% valid, 10%
test. No test tune shares four bars with a training tune (a test checks it with the
copying check of lesson 07). ``python -m artlab.music.corpus regroup`` recomputes groups
and splits from the stored melodies.

**Rebuilding.** ``python -m artlab.music.corpus rebuild`` extracts everything again from
music21's corpus (about 10 minutes on two idle cores; half an hour on a busy machine) and
rewrites the file;
``python -m artlab.music.corpus verify --sample 20`` re-extracts a random sample and
compares it with the stored melodies, event for event. Bump :data:`DATASET_VERSION`
whenever extraction changes.

**Your own music.** :func:`load_melody` reads a MIDI, MusicXML or ABC file (one
monophonic melody); :func:`load_melodies` every piece in a file; :func:`melody_from_text`
reads tinyNotation such as ``"4/4 c4 d e f g2"``. A file music21 cannot read, an empty file,
or one with chords or several voices gives a :class:`~artlab.errors.DataError` naming the
file and the reason.

**Keys.** :func:`normalise_key` moves a melody to C major or A minor (whichever mode it
is in, by the smallest step up or down); :func:`transpositions` gives it in every key
that stays within a pitch range. Lesson 06 discusses the trade-off.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError, DataError
from artlab.music.encoding import KEYS, METERS, REST, Melody, bar_length, canonical_key, from_stream

__all__ = [
    "COLLECTIONS", "DATASET_PATH", "DATASET_VERSION", "SPLITS", "Tune", "Corpus", "load_corpus",
    "source_ids", "extract", "rebuild", "regroup", "verify", "group_tunes", "assign_splits",
    "load_melody", "load_melodies", "melody_from_text", "normalising_shift", "normalise_key", "transpositions",
]

DATASET_VERSION = 1
DATASET_PATH = Path(__file__).resolve().parent / "data" / "melodies.json.gz"
TICKS_PER_QUARTER = 48
SPLITS = ("train", "valid", "test")
SPLIT_SHARES = (0.8, 0.1, 0.1)
GROUP_BARS = 4
_REST_MARK = -1000  # a rest in a transposition-invariant window

COLLECTIONS = {
    "chorales": "Bach chorales, soprano lines",
    "essen": "Essen folk songs",
    "ryans": "Ryan's Mammoth Collection",
    "oneills": "O'Neill's 1850 collection",
}
_FOLDERS = {"essen": "essenFolksong", "ryans": "ryansMammoth", "oneills": "oneills1850"}


@dataclass(frozen=True)
class Tune:
    """One melody of the dataset with where it came from and which split it is in."""

    id: str            # music21 corpus path, with "#N" for tune N of a multi-tune ABC file
    collection: str    # one of COLLECTIONS
    title: str
    melody: Melody
    group: int         # index of the group's first tune; tunes sharing four bars verbatim (up to transposition) share a group
    split: str         # "train", "valid" or "test"

    def __repr__(self) -> str:
        return f"Tune({self.id!r}, {self.title!r}, {self.split}, {len(self.melody)} events)"


@dataclass
class Corpus:
    """All tunes of the dataset; :meth:`select` picks a collection and a split."""

    tunes: list[Tune]
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tunes)

    def select(self, collections: str | Sequence[str] | None = None, split: str | None = None) -> list[Tune]:
        """Tunes of the given collection(s) (default all) and split (default all)."""
        if isinstance(collections, str):
            collections = (collections,)
        for name in collections or ():
            if name not in COLLECTIONS:
                raise ArgumentError("collection", expected=f"one of {', '.join(COLLECTIONS)}", got=name)
        if split is not None and split not in SPLITS:
            raise ArgumentError("split", expected=f"one of {', '.join(SPLITS)}", got=split)
        return [t for t in self.tunes
                if (collections is None or t.collection in collections) and (split is None or t.split == split)]

    def melodies(self, collections: str | Sequence[str] | None = None, split: str | None = None) -> list[Melody]:
        """Just the melodies of :meth:`select`."""
        return [t.melody for t in self.select(collections, split)]

    def get(self, tune_id: str) -> Tune:
        for t in self.tunes:
            if t.id == tune_id:
                return t
        raise ArgumentError("tune id", expected="an id in the corpus, such as 'bach/bwv269'", got=tune_id)

    def summary(self) -> list[dict]:
        """One row per collection: tunes per split, events, and tunes left out at extraction."""
        rows = []
        for name in COLLECTIONS:
            tunes = self.select(name)
            counts = Counter(t.split for t in tunes)
            rows.append({"collection": name, "tunes": len(tunes), **{s: counts[s] for s in SPLITS},
                         "events": sum(len(t.melody) for t in tunes),
                         "left out": sum(self.info.get("collections", {}).get(name, {}).get("skipped", {}).values())})
        return rows


# --- extraction from music21's corpus ----------------------------------------------------

def _corpus_folder() -> Path:
    import music21

    return Path(music21.__file__).resolve().parent / "corpus"


def source_ids(collection: str) -> list[str]:
    """The music21 corpus ids a rebuild extracts for ``collection``, in a fixed order."""
    if collection == "chorales":
        from music21 import corpus

        seen, ids = set(), []
        for name in corpus.chorales.Iterator(returnType="filename"):
            if name not in seen:
                seen.add(name)
                ids.append(name)
        return ids
    if collection not in _FOLDERS:
        raise ArgumentError("collection", expected=f"one of {', '.join(COLLECTIONS)}", got=collection)
    folder = _corpus_folder() / _FOLDERS[collection]
    ids = []
    for path in sorted(folder.glob("*.abc")):
        numbers = re.findall(r"^X:\s*(\d+)", path.read_text(encoding="latin-1"), flags=re.MULTILINE)
        relative = f"{_FOLDERS[collection]}/{path.name}"
        if len(numbers) == 1 and collection == "ryans":
            ids.append(relative)
        else:
            seen = set()
            for n in numbers:
                if n not in seen:  # a repeated reference number cannot be addressed
                    seen.add(n)
                    ids.append(f"{relative}#{int(n)}")
    return ids


def _collection_of(source_id: str) -> str:
    if source_id.startswith("bach/"):
        return "chorales"
    for name, folder in _FOLDERS.items():
        if source_id.startswith(folder + "/"):
            return name
    raise ArgumentError("source id", expected="a music21 corpus id of one of the four collections", got=source_id)


def extract(source_id: str) -> tuple[Melody, str]:
    """Parse one tune from music21's corpus: ``(melody, title)``; DataError if it is unusable."""
    from music21 import corpus

    collection = _collection_of(source_id)
    path, _, number = source_id.partition("#")
    try:
        score = corpus.parse(path, number=int(number)) if number else corpus.parse(path)
    except Exception as error:  # music21 raises many kinds on odd files
        raise DataError(source_id, expected="a tune music21 can parse",
                        got=f"<{type(error).__name__}: {str(error)[:80]}>") from None
    title = ""
    if score.metadata is not None and score.metadata.title:
        title = str(score.metadata.title)
    if collection == "chorales":
        if not hasattr(score, "parts") or not score.parts:
            raise DataError(source_id, expected="a chorale score with parts", got=type(score).__name__)
        try:
            found = score.analyze("key")
            key = canonical_key(found.tonic.pitchClass, found.mode)
        except Exception as error:
            raise DataError(source_id, expected="a key music21 can analyse", got=f"<{type(error).__name__}>") from None
        melody = from_stream(score, name=source_id, part=0, key=key)
        title = title or path.split("/")[-1]
    else:
        melody = from_stream(score, name=source_id, chords="error" if collection == "essen" else "top")
    for d in melody.durations:
        if (d * TICKS_PER_QUARTER).denominator != 1:
            raise DataError(source_id, expected=f"durations on a 1/{TICKS_PER_QUARTER}-quarter grid", got=d)
    if (melody.upbeat * TICKS_PER_QUARTER).denominator != 1:
        raise DataError(source_id, expected=f"an upbeat on a 1/{TICKS_PER_QUARTER}-quarter grid", got=melody.upbeat)
    return melody, title


def _extract_one(source_id: str):
    """Worker: ``(source_id, melody-or-None, title, reason)``; reasons are short and countable."""
    try:
        melody, title = extract(source_id)
        return source_id, melody, title, ""
    except DataError as error:
        return source_id, None, "", error.expected  # what was expected names the reason ("one meter throughout")


# --- grouping near-copies and splitting -----------------------------------------------------

_BAR_LENGTHS = sorted({bar_length(m) for m in METERS})


def _windows(melody: Melody, span: Fraction) -> set[int]:
    """Every stretch of at least ``span`` quarters (the fewest events that reach it), as
    hashes of ``(span, intervals and durations)``: the same up to transposition, the same hash
    (no strings inside, so the hash is the same in every run)."""
    pitches, durations = melody.pitches, melody.durations
    out = set()
    j, total = 0, Fraction(0)
    for i in range(len(pitches)):
        while j < len(pitches) and total < span:
            total += durations[j]
            j += 1
        if total < span:
            break
        base = next((p for p in pitches[i:j] if p != REST), 0)
        out.add(hash((span, tuple((p - base if p != REST else _REST_MARK, d) for p, d in zip(pitches[i:j], durations[i:j])))))
        total -= durations[i]
    return out


def group_tunes(melodies: Sequence[Melody], bars: int = GROUP_BARS) -> list[int]:
    """Group ids: melodies that share ``bars`` bars verbatim up to transposition share one.

    Bars are counted in the meter with the shorter bar of the two tunes (4 bars of 2/4 is
    2 bars of 4/4), so each tune offers the windows of its own ``bars`` bars, and probes
    with windows as long as ``bars`` bars of every shorter bar length. Two tunes join when
    their own windows meet, or a probe of one meets an own window of the other.
    Union-find; a group's id is the index of its first melody.
    """
    parent = list(range(len(melodies)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    owner: dict[int, int] = {}
    probes: list[tuple[int, int]] = []
    for i, melody in enumerate(melodies):
        own = melody.bar_length
        for key in _windows(melody, bars * own):
            union(i, owner.setdefault(key, i))
        for shorter in (b for b in _BAR_LENGTHS if b < own):
            probes.extend((i, key) for key in _windows(melody, bars * shorter))
    for i, key in probes:
        if key in owner:
            union(i, owner[key])
    return [find(i) for i in range(len(melodies))]


def assign_splits(ids: Sequence[str], groups: Sequence[int]) -> list[str]:
    """Train/valid/test for each tune: its whole group goes by a hash of the group's first id."""
    def share(group: int) -> float:
        digest = hashlib.sha1(ids[group].encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    out = []
    for g in groups:
        u = share(g)
        out.append("train" if u < SPLIT_SHARES[0] else "valid" if u < SPLIT_SHARES[0] + SPLIT_SHARES[1] else "test")
    return out


# --- the stored dataset -----------------------------------------------------------------

def _ticks(value: Fraction) -> int:
    return int(value * TICKS_PER_QUARTER)


def _to_json(records: list[tuple[str, str, Melody]], info: dict) -> dict:
    ids = [r[0] for r in records]
    melodies = [r[2] for r in records]
    groups = group_tunes(melodies)
    splits = assign_splits(ids, groups)
    return {
        "format": "artlab-melodies", "version": DATASET_VERSION, "ticks_per_quarter": TICKS_PER_QUARTER,
        "info": info,
        "tunes": {
            "id": ids,
            "collection": [_collection_of(i) for i in ids],
            "title": [r[1] for r in records],
            "meter": [m.meter for m in melodies],
            "key": [m.key for m in melodies],
            "upbeat": [_ticks(m.upbeat) for m in melodies],
            "group": groups,
            "split": splits,
            "pitches": [list(m.pitches) for m in melodies],
            "durations": [[_ticks(d) for d in m.durations] for m in melodies],
        },
    }


def rebuild(path: str | os.PathLike = DATASET_PATH, *, collections: Sequence[str] = tuple(COLLECTIONS),
            workers: int = 2, limit: int | None = None, log=print) -> Path:
    """Extract every tune again from music21's corpus and write the dataset to ``path``.

    ``limit`` takes only the first ``limit`` tunes of each collection (for trying it out).
    """
    import music21

    records, info = [], {"music21": music21.__version__, "collections": {}}
    started = time.perf_counter()
    for collection in collections:
        ids = source_ids(collection)[:limit]
        log(f"{collection}: extracting {len(ids)} tunes with {workers} worker(s) ...")
        if workers > 1:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                results = pool.map(_extract_one, ids, chunksize=8)
        else:
            results = [_extract_one(i) for i in ids]
        skipped = Counter(reason for _, melody, _, reason in results if melody is None)
        kept = [(i, title, melody) for i, melody, title, _ in results if melody is not None]
        records.extend(kept)
        info["collections"][collection] = {"description": COLLECTIONS[collection], "sources": len(ids),
                                           "kept": len(kept), "skipped": dict(skipped.most_common())}
        log(f"  kept {len(kept)}, left out {sum(skipped.values())}: {dict(skipped)}  "
            f"({time.perf_counter() - started:.0f} s so far)")
    log("grouping near-copies and assigning splits ...")
    path = _write(Path(path), _to_json(records, info))
    log(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {len(records)} tunes) "
        f"in {time.perf_counter() - started:.0f} s")
    return path


def _write(path: Path, data: dict) -> Path:
    """gzipped compact JSON, byte-for-byte the same for the same data (no time stamp inside)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as handle:
            handle.write(text)
    os.replace(tmp, path)
    return path


def regroup(path: str | os.PathLike = DATASET_PATH) -> Path:
    """Recompute groups and splits of a stored dataset with the current rules (no music21 needed)."""
    path = Path(path)
    data = _read(path)
    corpus = _from_json(data)
    records = [(t.id, t.title, t.melody) for t in corpus.tunes]
    return _write(path, _to_json(records, data["info"]))


def _read(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"dataset {path}", expected="the melody dataset file", got="<no such file>",
                        hint="Rebuild it with: python -m artlab.music.corpus rebuild")
    try:
        with gzip.open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, EOFError, ValueError) as error:
        raise DataError(f"dataset {path}", expected="a gzipped JSON melody dataset",
                        got=f"<unreadable: {type(error).__name__}>",
                        hint="Rebuild it with: python -m artlab.music.corpus rebuild") from None
    if not isinstance(data, dict) or data.get("format") != "artlab-melodies":
        raise DataError(f"dataset {path}", expected="a file written by artlab.music.corpus.rebuild",
                        got="<another kind of JSON>")
    if data.get("version") != DATASET_VERSION:
        raise DataError(f"dataset {path}", expected=f"dataset version {DATASET_VERSION}", got=data.get("version"),
                        hint="Rebuild it with: python -m artlab.music.corpus rebuild")
    return data


def _from_json(data: dict) -> Corpus:
    columns = data["tunes"]
    ticks = data["ticks_per_quarter"]
    distinct = {t for ds in columns["durations"] for t in set(ds)} | set(columns["upbeat"])
    frac = {t: Fraction(t, ticks) for t in distinct}
    keys, meters = set(KEYS), set(columns["meter"])
    for meter in meters:
        bar_length(meter)  # a malformed file fails here, not later
    if not set(columns["key"]) <= keys:
        raise DataError("dataset", expected="keys named as in KEYS", got=sorted(set(columns["key"]) - keys)[:3])
    tunes = []
    for i, tune_id in enumerate(columns["id"]):
        melody = Melody._trusted(tuple(columns["pitches"][i]), tuple([frac[t] for t in columns["durations"][i]]),
                                 columns["meter"][i], columns["key"][i], frac[columns["upbeat"][i]])
        tunes.append(Tune(tune_id, columns["collection"][i], columns["title"][i], melody,
                          columns["group"][i], columns["split"][i]))
    return Corpus(tunes, dict(data.get("info", {}), version=data["version"]))


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> Corpus:
    return _from_json(_read(Path(path)))


def load_corpus(path: str | os.PathLike | None = None) -> Corpus:
    """The melody dataset (about a second the first time, then cached in memory)."""
    path = Path(path) if path is not None else DATASET_PATH
    mtime = path.stat().st_mtime if path.is_file() else 0.0
    return _load_cached(str(path), mtime)


def verify(sample: int = 20, *, seed: int = 0, path: str | os.PathLike | None = None,
           collections: Sequence[str] = tuple(COLLECTIONS)) -> list[str]:
    """Re-extract ``sample`` random stored tunes per collection from music21; list differences."""
    stored = load_corpus(path)
    rng = random.Random(seed)
    problems = []
    for collection in collections:
        tunes = stored.select(collection)
        for tune in rng.sample(tunes, min(sample, len(tunes))):
            melody, title = extract(tune.id)
            if melody != tune.melody or title != tune.title:
                problems.append(f"{tune.id}: stored {tune.melody!r} but music21 gives {melody!r}")
    return problems


# --- your own files ------------------------------------------------------------------

_SUFFIXES = {".mid": "MIDI", ".midi": "MIDI", ".xml": "MusicXML", ".musicxml": "MusicXML",
             ".mxl": "MusicXML", ".abc": "ABC", ".krn": "Humdrum"}


def _parse_file(path: Path):
    if not path.exists():
        raise DataError(f"file {path}", expected="an existing file", got="<no such file>",
                        hint="Check the path (relative paths start from the notebook's folder).")
    if path.is_dir():
        raise DataError(f"file {path}", expected="a file, not a folder", got="<a folder>")
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"file {path}", expected=f"a music file ({', '.join(sorted(_SUFFIXES))})",
                        got=path.suffix or "<no extension>")
    if path.stat().st_size == 0:
        raise DataError(f"file {path}", expected=f"a {kind} file with music in it", got="<an empty file>")
    from music21 import converter

    try:
        return converter.parse(str(path), forceSource=True)
    except Exception as error:  # music21 raises KeyError, IndexError, TypeError, ... on bad files
        first = str(error).splitlines()[0][:100] if str(error) else ""
        raise DataError(f"file {path}", expected=f"a {kind} file music21 can read",
                        got=f"<{type(error).__name__}{': ' + first if first else ''}>",
                        hint="The file is damaged or not really " + kind + "; open it in a music program "
                        "and export it again.") from None


def load_melodies(path: str | os.PathLike, *, part: int | None = None, chords: str = "error",
                  key: str | None = "written") -> list[Melody]:
    """Every piece in a MIDI, MusicXML or ABC file, each as a :class:`Melody`.

    ``part`` picks one part of a multi-part score; ``chords="top"`` keeps the top note of
    chords; ``key`` is as in :func:`~artlab.music.encoding.from_stream` (default: the key
    the file states, else music21's analysis).
    """
    from music21 import stream

    path = Path(path)
    parsed = _parse_file(path)
    pieces = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    if not pieces:
        raise DataError(f"file {path}", expected="at least one piece", got="<none>")
    out = []
    for index, piece in enumerate(pieces):
        name = f"file {path}" + (f", piece {index + 1}" if len(pieces) > 1 else "")
        out.append(_guarded(lambda: from_stream(piece, name=name, part=part, chords=chords, key=key), name))
    return out


def load_melody(path: str | os.PathLike, *, part: int | None = None, chords: str = "error",
                key: str | None = "written") -> Melody:
    """The one monophonic melody in a MIDI, MusicXML or ABC file.

    Raises :class:`DataError` naming the file and the reason when the file is missing,
    empty, unreadable, holds several pieces, several voices, or chords.
    """
    melodies = load_melodies(path, part=part, chords=chords, key=key)
    if len(melodies) != 1:
        raise DataError(f"file {path}", expected="one piece", got=f"<{len(melodies)} pieces>",
                        hint="Use load_melodies(path) to read them all.")
    return melodies[0]


def _guarded(make, name: str):
    """Run ``make()``; turn any stray music21 exception into a DataError naming ``name``."""
    try:
        return make()
    except (DataError, ArgumentError):
        raise
    except Exception as error:
        raise DataError(name, expected="music artlab can read as a melody",
                        got=f"<{type(error).__name__}: {str(error)[:80]}>") from None


def melody_from_text(text: str, *, key: str | None = None) -> Melody:
    """A melody from music21's tinyNotation, e.g. ``"4/4 c4 d e f g2"`` (``c4`` is middle C
    as a quarter note; ``r`` is a rest; ``'`` raises an octave; ``#``/``-`` sharp/flat)."""
    if not isinstance(text, str) or not text.strip():
        raise ArgumentError("melody_from_text(text)", expected="tinyNotation text such as '4/4 c4 d e f g2'",
                            got=text)
    from music21 import converter

    body = text.strip()
    if not body.startswith("tinyNotation:"):
        body = "tinyNotation: " + body
    try:
        parsed = converter.parse(body)
    except Exception as error:
        raise DataError(f"tinyNotation {text!r}", expected="valid tinyNotation such as '4/4 c4 d e f g2'",
                        got=f"<{type(error).__name__}: {str(error)[:80]}>",
                        hint="Notes are letter + optional octave marks + duration: c4 (quarter), d8 (eighth), "
                        "e2 (half), r4 (rest), c'4 (octave up), f#4 (sharp).") from None
    return _guarded(lambda: from_stream(parsed, name=f"tinyNotation {text!r}", key=key), f"tinyNotation {text!r}")


# --- keys -----------------------------------------------------------------------------

def normalising_shift(melody: Melody) -> int:
    """The semitones (-6..+5) that move the melody's key to C major or A minor."""
    tonic, mode = KEYS.index(melody.key) % 12, melody.key.split()[1]
    target = 0 if mode == "major" else 9
    # tonic index in KEYS is the pitch class for both halves
    shift = (target - tonic) % 12
    return shift - 12 if shift > 5 else shift


def normalise_key(melody: Melody) -> Melody:
    """Transposed to C major or A minor, by the smallest step (:func:`normalising_shift`)."""
    return melody.transpose(normalising_shift(melody))


def transpositions(melody: Melody, low: int = 48, high: int = 84) -> list[Melody]:
    """The melody in every key (up to 12) whose notes all stay within ``low..high``."""
    sounding = [p for p in melody.pitches if p != REST]
    if not sounding:
        return [melody]
    by_key: dict[str, tuple[int, Melody]] = {}
    for shift in sorted(range(-11, 12), key=abs):  # the closest transposition per key wins
        if low <= min(sounding) + shift and max(sounding) + shift <= high:
            moved = melody.transpose(shift)
            by_key.setdefault(moved.key, (shift, moved))
    return [m for _, m in sorted(by_key.values(), key=lambda item: item[0])]


# --- command line -------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m artlab.music.corpus",
                                     description="Build or check the melody dataset shipped with artlab.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("rebuild", help="extract every tune from music21's corpus (10-30 minutes)")
    build.add_argument("--output", type=Path, default=DATASET_PATH)
    build.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    build.add_argument("--limit", type=int, default=None, help="only the first N tunes of each collection")
    build.add_argument("--collections", nargs="*", default=list(COLLECTIONS))
    check = commands.add_parser("verify", help="re-extract a random sample and compare with the stored tunes")
    check.add_argument("--sample", type=int, default=20)
    check.add_argument("--seed", type=int, default=0)
    commands.add_parser("regroup", help="recompute groups and splits of the stored dataset (a minute, no music21)")
    commands.add_parser("summary", help="print what the dataset holds")
    args = parser.parse_args(argv)
    if args.command == "rebuild":
        rebuild(args.output, collections=args.collections, workers=args.workers, limit=args.limit)
        return 0
    if args.command == "regroup":
        print(f"wrote {regroup()}")
        return 0
    if args.command == "verify":
        problems = verify(args.sample, seed=args.seed)
        print("\n".join(problems) if problems else f"ok: {args.sample} tunes per collection re-extracted identically")
        return 1 if problems else 0
    corpus = load_corpus()
    for row in corpus.summary():
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())

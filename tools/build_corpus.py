"""Build or check the melody dataset shipped with artlab (a maintainer's tool, not used by the lessons).

    python tools/build_corpus.py rebuild [--workers 2] [--limit N] [--collections essen chorales]
    python tools/build_corpus.py verify --sample 20
    python tools/build_corpus.py regroup
    python tools/build_corpus.py summary

``rebuild`` extracts every tune again from music21's corpus (minutes to half an hour) and rewrites
``artlab/music/data/melodies.json.gz``; ``verify`` re-extracts a random sample and compares it with
the stored melodies, event for event; ``regroup`` recomputes groups and splits from the stored
melodies (no music21 parsing). Bump ``artlab.music.corpus.DATASET_VERSION`` whenever extraction
changes. :mod:`artlab.music.corpus` explains the dataset, the groups and the split.
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
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError, DataError
from artlab.music.corpus import (COLLECTIONS, DATASET_PATH, DATASET_VERSION, corpus_from_json, load_corpus,
                                 read_dataset)
from artlab.music.melody import METERS, REST, TICKS_PER_QUARTER, Melody, bar_length, canonical_key
from artlab.music.streams import from_stream

__all__ = ["source_ids", "extract", "rebuild", "regroup", "verify", "group_tunes", "assign_splits", "main"]

SPLIT_SHARES = (0.8, 0.1, 0.1)
GROUP_BARS = 4
_REST_MARK = -1000  # a rest in a transposition-invariant window
_FOLDERS = {"essen": "essenFolksong", "ryans": "ryansMammoth", "oneills": "oneills1850"}


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


# --- the stored dataset -------------------------------------------------------------------

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
    data = read_dataset(path)
    corpus = corpus_from_json(data)
    records = [(t.id, t.title, t.melody) for t in corpus.tunes]
    return _write(path, _to_json(records, data["info"]))


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


# --- command line -------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/build_corpus.py",
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

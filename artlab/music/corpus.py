"""The melody dataset: tunes from music21's bundled corpus, extracted once and shipped with artlab.

Lesson 06 (``notebooks/06_music_as_data.ipynb``) uses it; lessons 07-09 train on it.

Parsing scores with music21 is slow (all 8,514 Essen folk songs take minutes), so the melodies
were extracted once into ``artlab/music/data/melodies.json.gz``, which ships with the package and
loads in about a second (:func:`load_corpus`). It holds, for every tune, the events of its melody
(MIDI pitch or rest, duration in quarter notes), its meter, key, upbeat, title, music21 source
id, collection, group and split. Four collections (:data:`COLLECTIONS`):

==============  ==========================================================================
``chorales``    the soprano line of each of the Bach chorales in ``corpus.chorales.Iterator``
                (each file once); key from music21's analysis of the whole four-part score
``essen``       every tune of the Essen folk-song collection (``essenFolksong/*.abc``)
``ryans``       Ryan's Mammoth Collection (``ryansMammoth/*.abc``, one tune per file)
``oneills``     O'Neill's 1850 collection (``oneills1850/*.abc``)
==============  ==========================================================================

A melody is read by :func:`artlab.music.streams.from_stream`: tied notes become one event, grace
notes and chord symbols are skipped, leading rests set the upbeat, trailing rests go, repeats are
kept as written (not expanded). For the fiddle collections a double stop keeps its top note.
Folk tunes take the key of music21's analysis of the melody. A tune is left out, with the reason
counted in :attr:`Corpus.info`, when music21 cannot parse it, it changes meter, it has several
voices, it has no notes, or a duration is off a 1/48-quarter grid.

**Groups and the split.** The chorale corpus holds the same tune harmonised several times, and
folk collections hold variants of one tune. Were they split at random, a long n-gram model would
score well on the test set by copying. So before splitting, tunes are **grouped**: two tunes that
share any stretch of four bars verbatim, up to transposition, are in one group, and so are tunes
linked through a chain of such pairs. Whole groups are then assigned to a split by a hash of the
group's first tune id: 80% train, 10% valid, 10% test. No test tune shares four bars with a
training tune (a test checks it with the copying check of lesson 07).

The maintainers' tool ``tools/build_corpus.py`` rebuilds the file from music21's corpus,
re-extracts a sample to verify it, and recomputes the groups. Your own music files are read by
:mod:`artlab.music.files`.
"""
from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import KEYS, Melody, bar_length

__all__ = ["COLLECTIONS", "DATASET_PATH", "DATASET_VERSION", "SPLITS", "Tune", "Corpus", "load_corpus",
           "read_dataset", "corpus_from_json"]

DATASET_VERSION = 1
DATASET_PATH = Path(__file__).resolve().parent / "data" / "melodies.json.gz"
SPLITS = ("train", "valid", "test")

COLLECTIONS = {
    "chorales": "Bach chorales, soprano lines",
    "essen": "Essen folk songs",
    "ryans": "Ryan's Mammoth Collection",
    "oneills": "O'Neill's 1850 collection",
}

_REBUILD = "Rebuild it with: python tools/build_corpus.py rebuild"

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


def read_dataset(path: Path) -> dict:
    """The dataset file's JSON, checked (format and version)."""
    if not path.is_file():
        raise DataError(f"dataset {path}", expected="the melody dataset file", got="<no such file>",
                        hint=_REBUILD)
    try:
        with gzip.open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, EOFError, ValueError) as error:
        raise DataError(f"dataset {path}", expected="a gzipped JSON melody dataset",
                        got=f"<unreadable: {type(error).__name__}>",
                        hint=_REBUILD) from None
    if not isinstance(data, dict) or data.get("format") != "artlab-melodies":
        raise DataError(f"dataset {path}", expected="a file written by tools/build_corpus.py",
                        got="<another kind of JSON>")
    if data.get("version") != DATASET_VERSION:
        raise DataError(f"dataset {path}", expected=f"dataset version {DATASET_VERSION}", got=data.get("version"),
                        hint=_REBUILD)
    return data


def corpus_from_json(data: dict) -> Corpus:
    """The :class:`Corpus` a dataset's JSON holds."""
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
    return corpus_from_json(read_dataset(Path(path)))


def load_corpus(path: str | os.PathLike | None = None) -> Corpus:
    """The melody dataset (about a second the first time, then cached in memory)."""
    path = Path(path) if path is not None else DATASET_PATH
    mtime = path.stat().st_mtime if path.is_file() else 0.0
    return _load_cached(str(path), mtime)

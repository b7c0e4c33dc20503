"""Your own music: melodies from MIDI, MusicXML, ABC and Humdrum files, and from tinyNotation text.

* :func:`load_melody` reads the one monophonic melody in a file; :func:`load_melodies` every
  piece in a file (an ABC file often holds many tunes);
* :func:`melody_from_text` reads music21's tinyNotation, such as ``"4/4 c4 d e f g2"``;
* :func:`as_melody` takes any of these (a Melody, text, or a file path), as the samplers do.

A file music21 cannot read, an empty file, or one with chords or several voices gives a
:class:`~artlab.errors.DataError` naming the file and the reason. Lessons 06, 07 and 09 use it;
``artlab compose --motif`` and ``--collection FOLDER`` read through it.
"""
from __future__ import annotations

import os
from pathlib import Path

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import MUSIC_SUFFIXES, Melody
from artlab.music.streams import from_stream

__all__ = ["load_melody", "load_melodies", "melody_from_text", "as_melody", "music_files"]


def _parse_file(path: Path):
    if not path.exists():
        raise DataError(f"file {path}", expected="an existing file", got="<no such file>",
                        hint="Check the path (relative paths start from the notebook's folder).")
    if path.is_dir():
        raise DataError(f"file {path}", expected="a file, not a folder", got="<a folder>")
    kind = MUSIC_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(f"file {path}", expected=f"a music file ({', '.join(sorted(MUSIC_SUFFIXES))})",
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
    chords; ``key`` is as in :func:`~artlab.music.streams.from_stream` (default: the key
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


def music_files(folder: str | os.PathLike) -> list[Path]:
    """The music files in a folder (by :data:`~artlab.music.melody.MUSIC_SUFFIXES`), in name order;
    hidden files are left out."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in MUSIC_SUFFIXES and not p.name.startswith("."))


def as_melody(prime) -> Melody:
    """A melody from a Melody, tinyNotation text, or the path of a music file."""
    if isinstance(prime, Melody):
        return prime
    if isinstance(prime, Path) or (isinstance(prime, str) and os.path.splitext(prime)[1].lower() in MUSIC_SUFFIXES):
        return load_melody(prime)
    if isinstance(prime, str):
        return melody_from_text(prime)
    raise ArgumentError("prime", expected="a Melody, tinyNotation text such as '4/4 c4 d e f g2', or a file path",
                        got=type(prime).__name__)


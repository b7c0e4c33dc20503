"""Your own music: melodies from MIDI, MusicXML, ABC and Humdrum files, and from tinyNotation text.

* :func:`load_melody` reads the one monophonic melody in a file; :func:`load_melodies` every
  piece in a file (an ABC file often holds many tunes); :func:`load_folder` every piece in
  every music file of a folder;
* :func:`melody_from_text` reads music21's tinyNotation, such as ``"4/4 c4 d e f g2"``;
* :func:`as_melody` takes any of these (a Melody, text, or a file path), as the samplers do.

Nothing is dropped quietly. A file music21 cannot read, an empty file, one with chords or several
voices, drums only, a tinyNotation token music21 does not know, or an ABC file with a character or
key it would skip (:mod:`artlab.music.filecheck`) gives a :class:`~artlab.errors.DataError` naming the
file (or the token and its position) and the reason. MIDI files are checked first by
:func:`artlab.music.filecheck.scan_midi`. ABC text is read as UTF-8, its declared charset, or else
Latin-1 (an :class:`~artlab.errors.ArtlabWarning` says so).

``skip_bad=True`` (:func:`load_melodies`, :func:`load_folder`) keeps going past bad pieces and
files, and one :class:`~artlab.errors.ArtlabWarning` lists what was skipped and why, one line
each. Lessons 06, 07 and 09 use this module; ``artlab compose --motif`` and ``--collection
FOLDER`` (with ``--skip-bad``) read through it.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from artlab.errors import ArgumentError, ArtlabWarning, DataError, warn_skipped
from artlab.music.melody import MUSIC_SUFFIXES, Melody
from artlab.music.streams import from_stream

__all__ = ["load_melody", "load_melodies", "load_folder", "melody_from_text", "as_melody", "music_files"]

TINY_HINT = ("Notes are letter + optional octave marks + duration: c4 (quarter), d8 (eighth), e2 (half), "
             "r4 (rest), c'4 (octave up), C4 (octave down), f#4 (sharp), b-4 (flat), trip{c8 d e}.")


def _check_path(path: Path) -> str:
    """The kind of music file at ``path`` ("MIDI", "ABC", ...), or a DataError saying why it is none."""
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
    return kind


def _parse_file(path: Path, skipped: list | None = None):
    """The music21 stream of a music file, checked first; ``skipped``: with skip_bad, where the ABC
    tunes left out go (else the first bad one raises)."""
    kind = _check_path(path)
    from music21 import converter

    if kind == "MIDI":
        from artlab.music.filecheck import scan_midi

        scan_midi(path)
    try:
        if kind == "ABC":
            return converter.parseData(_abc_text(path, skipped), format="abc")
        return converter.parse(str(path), forceSource=True)
    except DataError:
        raise
    except Exception as error:  # music21 raises KeyError, IndexError, TypeError, ... on bad files
        first = str(error).splitlines()[0][:100] if str(error) else ""
        raise DataError(f"file {path}", expected=f"a {kind} file music21 can read",
                        got=f"<{type(error).__name__}{': ' + first if first else ''}>",
                        hint="The file is damaged or not really " + kind + "; open it in a music program "
                        "and export it again.") from None


def _abc_text(path: Path, skipped: list | None) -> str:
    """The checked text of an ABC file (:mod:`artlab.music.filecheck`), without the bad tunes when ``skipped``
    is a list (they are added to it)."""
    from artlab.music.filecheck import check_abc, decode_abc

    text, encoding = decode_abc(path.read_bytes(), f"file {path}")
    if encoding == "latin-1":
        warnings.warn(ArtlabWarning(f"file {path}: read as Latin-1 (ISO 8859-1), since it is not UTF-8; "
                                    "save it as UTF-8 to silence this note"), stacklevel=5)
    text, problems = check_abc(text, f"file {path}", skip_bad=skipped is not None)
    if skipped is not None:
        skipped.extend(problems)
    if problems and not text.strip("\n"):
        raise DataError(f"file {path}", expected="at least one tune artlab can read",
                        got=f"<{len(problems)} tunes, none readable>", hint=" ".join(str(problems[0]).split()))
    return text


def _melodies(path: Path, skipped: list | None, **options) -> list[Melody]:
    """The melodies of one file; with ``skipped`` a list, bad pieces go there instead of raising."""
    from music21 import stream

    parsed = _parse_file(path, skipped)
    pieces = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    if not pieces:
        raise DataError(f"file {path}", expected="at least one piece", got="<none>")
    out = []
    for index, piece in enumerate(pieces):
        name = f"file {path}" + (f", piece {index + 1}" if len(pieces) > 1 else "")
        try:
            out.append(_guarded(lambda: from_stream(piece, name=name, **options), name))
        except DataError as error:
            if skipped is None:
                raise
            skipped.append(error)
    if not out:
        raise DataError(f"file {path}", expected="at least one piece artlab can read",
                        got=f"<{len(pieces)} pieces, none readable>", hint=" ".join(str(skipped[-1]).split()))
    return out


def load_melodies(path: str | os.PathLike, *, part: int | None = None, chords: str = "error",
                  key: str | None = "written", skip_bad: bool = False) -> list[Melody]:
    """Every piece in a MIDI, MusicXML or ABC file, each as a :class:`Melody`.

    ``part`` picks one part of a multi-part score; ``chords="top"`` keeps the top note of
    chords; ``key`` is as in :func:`~artlab.music.streams.from_stream` (default: the key
    the file states, else music21's analysis). ``skip_bad=True`` leaves out the pieces (the
    tunes of an ABC file) that fail, with one :class:`~artlab.errors.ArtlabWarning` listing them;
    the file still fails when no piece is left.
    """
    path = Path(path)
    skipped: list | None = [] if skip_bad else None
    melodies = _melodies(path, skipped, part=part, chords=chords, key=key)
    if skipped:
        warn_skipped(f"file {path}", skipped, len(melodies) + len(skipped), "pieces")
    return melodies


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


def load_folder(folder: str | os.PathLike, *, chords: str = "error", key: str | None = "written",
                skip_bad: bool = False) -> list[Melody]:
    """Every piece in every music file of ``folder`` (:func:`music_files`, in name order).

    By default the first bad file raises its :class:`DataError`. ``skip_bad=True`` reads the rest
    and reports, in one :class:`~artlab.errors.ArtlabWarning`, how many files and pieces were
    skipped and why, one line each; a folder with nothing readable still fails.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise DataError(f"music folder {folder}", expected="an existing folder of MIDI, MusicXML or ABC files",
                        got="<a file>" if folder.exists() else "<no such folder>")
    files = music_files(folder)
    if not files:
        raise DataError(f"music folder {folder}", expected=f"music files ({', '.join(sorted(MUSIC_SUFFIXES))})",
                        got="<none>", hint="Copy some MIDI, MusicXML or ABC files into it.")
    melodies, skipped = [], []
    for path in files:
        try:
            melodies += _melodies(path, skipped if skip_bad else None, chords=chords, key=key)
        except DataError as error:
            if not skip_bad:
                raise
            skipped.append(error)  # the whole file
    if not melodies:
        raise DataError(f"music folder {folder}", expected="at least one melody artlab can read",
                        got=f"<none in {len(files)} files>", hint=" ".join(str(skipped[0]).split()))
    warn_skipped(f"music folder {folder}", skipped, len(melodies) + len(skipped), "files or pieces")
    return melodies


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
    as a quarter note; ``r`` is a rest; ``'`` raises an octave; ``#``/``-`` sharp/flat).

    Every token must be one tinyNotation knows: ``"4/4 c4 d zz!!"`` is a :class:`DataError` that
    quotes ``'zz!!'`` and its position (token 4), not the melody ``c4 d``.
    """
    if not isinstance(text, str) or not text.strip():
        raise ArgumentError("melody_from_text(text)", expected="tinyNotation text such as '4/4 c4 d e f g2'",
                            got=text)
    from music21 import tinyNotation

    body = text.strip()
    if body.startswith("tinyNotation:"):
        body = body[len("tinyNotation:"):]
    name = f"tinyNotation {text!r}"
    converter = tinyNotation.Converter(body, raiseExceptions=True)
    converter.splitPreTokens()
    converter.setupRegularExpressions()
    column = 0
    for index, token in enumerate(converter.preTokens):
        column = body.index(token, column)
        try:
            converter.parseOne(index, token)
        except Exception as error:  # TinyNotationException, and music21's errors on odd durations
            cause = error.__cause__ or error
            detail = str(cause).splitlines()[0][:60] if str(cause) else type(cause).__name__
            detail = "" if detail.startswith("Could not parse token") else detail
            raise DataError(f"{name}, token {index + 1} (character {column + 1})",
                            expected="a tinyNotation note, rest, time signature or trip{...}",
                            got=token, hint=f"{detail}. {TINY_HINT}" if detail else TINY_HINT) from None
        column += len(token)
    if converter.activeStates:
        raise DataError(name, expected="every trip{ or quad{ closed by }", got=f"<{len(converter.activeStates)} left open>",
                        hint="Close the group, e.g. trip{c8 d e}.")
    converter.postParse()
    return _guarded(lambda: from_stream(converter.stream, name=name, key=key), name)


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

"""Music files read strictly, before music21 parses them: ABC text and MIDI bytes. Lesson 06.

music21 reads leniently: an ABC key it does not know becomes C major, an ABC character it does
not understand is dropped, a MIDI file whose first note comes after a long silence loses it (and
one hundreds of thousands of beats long takes music21 hours). So :mod:`artlab.music.files`
checks every ABC and MIDI file here first, and a damaged file gives a
:class:`~artlab.errors.DataError` that names the file and quotes what is wrong and where,
instead of loading as a quietly different melody.

**ABC** (https://abcnotation.com/wiki/abc:standard:v2.1), the plain-text notation of most
folk-tune collections. :func:`decode_abc` reads the bytes as UTF-8, or as the charset the file
declares (``I:abc-charset`` or ``%%abc-charset``), or else as Latin-1 (ISO 8859-1, common in
older collections), and says which. :func:`check_abc` reads every tune's fields and body and
quotes the first offending token with its line and column:

* ``K:`` (in the header, in the body, or inline as ``[K:...]``) must name a key: a tonic ``A``-``G``
  with ``#`` or ``b``, then a mode of which the first three letters count (``maj``, ``m``/``min``,
  ``dor``, ``phr``, ``lyd``, ``mix``, ``aeo``, ``ion``, ``loc``), then clefs, octave marks,
  ``name=value`` settings or explicit accidentals; or ``none``, ``Hp``/``HP`` (Highland pipes);
* ``M:`` is ``none``, ``C``, ``C|`` or a fraction such as ``6/8`` or ``2+3/8``; ``L:`` a fraction;
* in the body every character is part of a note, rest, bar line, repeat, tie, slur, tuplet,
  broken rhythm, chord ``[...]``, grace group ``{...}``, annotation ``"..."``, decoration
  (``!trill!``, ``+trill+``, ``.``, ``~`` and the letters ``H``-``W``, ``h``-``w``, which ABC
  reserves for decorations, defined by ``U:`` or not), inline field ``[X:...]``, spacer ``y``,
  overlay ``&``, line break ``$`` or old-style ``!``, or a comment after ``%``;
* chords, grace groups and annotations close on their own line.

Accepted as they are: unmatched slurs ``(`` ``)`` (phrasing marks that change no note; old
collections have many) and free text between tunes. Of the 1,146 ABC files in music21's corpus
the check refuses 32, each for a real typo: a stray ``=`` or ``=20`` left by e-mail encoding, a
length with no note, ``K:Es``, ``M:FREI4/4``, an unmatched ``]`` or ``}``, a ``*``.

**MIDI.** :func:`scan_midi` walks a standard MIDI file's chunks, delta times and note events,
and refuses a truncated or damaged file, one with no notes, one with only drum notes (channel
10), and a first note or a gap between notes more than :data:`MAX_SILENCE` quarter notes long.
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from artlab.errors import DataError

__all__ = ["decode_abc", "check_abc", "KEY_TONICS", "KEY_MODES", "scan_midi", "MidiScan", "MAX_SILENCE",
           "DRUM_CHANNEL"]

KEY_TONICS = ("C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#", "E#",
              "F", "Bb", "Eb", "Ab", "Db", "Gb", "Cb")
"""The tonics a ``K:`` field may name (any letter case), besides ``none``, ``Hp`` and ``HP``."""

KEY_MODES = ("maj", "min", "m", "ion", "dor", "phr", "lyd", "mix", "aeo", "loc")
"""Mode prefixes after the tonic (ABC counts the first three letters, any case; ``m`` alone is minor)."""

MAX_SILENCE = 64
"""The longest silence (in quarter notes: 16 bars of 4/4) before the first note or between two notes
that :func:`scan_midi` accepts in a melody."""

DRUM_CHANNEL = 9
"""MIDI channel 10 (counted from 0: 9) is the General MIDI percussion channel: its notes are drums."""

_CLEF_WORD = re.compile(r"(?i)(treble|bass|alto|tenor|baritone|soprano|mezzo|perc|none)\d?([+-]8)?$")
_OCTAVE_WORD = re.compile(r"(?i)[+-]8(va|vb)?$|[+-]15(ma|mb)?$")
_SETTING = re.compile(r"[A-Za-z][\w-]*=\S*$")
_ACCIDENTALS = re.compile(r"(?:(?:\^\^|__|\^|_|=)[A-Ga-g])+$")
_METER = re.compile(r"(?:none|C\|?|\(?\d+(?:\+\d+)*\)?/\d+)$", re.IGNORECASE)
_LENGTH = re.compile(r"\d+/\d+$")
_CHARSET = re.compile(rb"^[ \t]*(?:I:|%%)[ \t]*abc-charset[ \t]+([\w.:-]+)", re.MULTILINE | re.IGNORECASE)
_FIELD = re.compile(r"([A-Za-z+]):")
_NOT_BODY_FIELDS = set("ABCDEFGabcdefgxyz")  # in a body line "g:|" is a note and a repeat, not a field
_SYMBOLS = set(".~") | set("HIJKLMNOPQRSTUVW") | set("hijklmnopqrstuvw")  # decorations, predefined or user-defined


# --- ABC -------------------------------------------------------------------------------------

def decode_abc(raw: bytes, name: str) -> tuple[str, str]:
    """``(text, encoding)``: ``raw`` decoded as UTF-8, as its declared ``abc-charset``, or else Latin-1.

    A file with NUL bytes is not text; a declared charset Python does not know, or one the bytes
    do not follow, is a :class:`DataError` naming ``name``.
    """
    if b"\x00" in raw:
        raise DataError(name, expected="ABC text", got="<binary data (NUL bytes)>",
                        hint="This is not a text file; an ABC file is plain text you can open in an editor.")
    declared = _CHARSET.search(raw)
    if declared:
        charset = declared.group(1).decode("ascii")
        try:
            return raw.decode(charset).lstrip("\ufeff"), charset
        except LookupError:
            raise DataError(name, expected="an abc-charset Python knows (utf-8, iso-8859-1, ...)",
                            got=charset, hint="Fix the abc-charset line, or remove it.") from None
        except UnicodeDecodeError as error:
            line = raw[:error.start].count(b"\n") + 1
            raise DataError(name, expected=f"text in the declared charset {charset}",
                            got=f"<byte {raw[error.start]:#04x} on line {line} that is not {charset}>",
                            hint="Fix the abc-charset line to the file's real encoding.") from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def check_abc(text: str, name: str, *, skip_bad: bool = False) -> tuple[str, list[DataError]]:
    """Check every tune in ABC ``text`` by the rules of this module: ``(text, problems)``.

    By default the first problem raises a :class:`DataError` naming ``name``, the line and column, and
    the offending token. With ``skip_bad=True`` every tune is checked, and the text comes back without
    the tunes that failed (blank lines in their place), with one error per tune left out.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    has_x = any(line.startswith("X:") for line in lines)
    problems: list[DataError] = []
    tune: _Tune | None = None
    in_tune, in_body, continued = not has_x, False, False

    def close() -> None:
        if tune is not None and tune.problem is not None:
            problems.append(tune.problem)
            lines[tune.first_line - 1:tune.last_line] = [""] * (tune.last_line - tune.first_line + 1)

    for number, line in enumerate(list(lines), start=1):
        if line.startswith("X:") or (tune is None and in_tune and line.strip()):
            close()  # a file without X: lines is one tune
            tune, in_tune, in_body = _Tune(name, number), True, False
            if line.startswith("X:"):
                continue
        if not line.strip():
            close()
            tune, in_tune, in_body = None, False, False
            continue
        if tune is None:
            continue  # free text between tunes
        tune.last_line = number
        if tune.problem is not None:
            continue  # the rest of a tune that failed
        if line.lstrip().startswith("%") or continued:
            continued = line.lstrip().startswith("%") and line.rstrip().endswith("\\")
            continue  # comments and %% directives (continued by a \\)
        field = _FIELD.match(line)
        try:
            if field and (not in_body or field.group(1) not in _NOT_BODY_FIELDS):
                tune.field(field.group(1), line[2:], number)
                in_body = in_body or field.group(1) == "K"
            else:
                in_body = True
                tune.body(line, number)
        except DataError as error:
            if not skip_bad:
                raise
            tune.problem = error
    close()
    return "\n".join(lines), problems


def _problem(name: str, number: int, column: int, token: str, expected: str, hint: str = "") -> DataError:
    return DataError(f"{name}, line {number}, column {column}", expected=expected, got=token,
                     hint=hint or "Fix or remove it in a text editor (ABC is plain text).")


def _strip_comment(value: str) -> str:
    return value.split("%", 1)[0].strip()


def _check_key(value: str, name: str, number: int, column: int) -> None:
    """Refuse a ``K:`` value that names no key (music21 would read it as C major)."""
    words = _strip_comment(value).split()
    if not words or words[0].lower() == "none" or words[0] in ("Hp", "HP"):
        return
    first = words[0]
    tonic = next((t for t in sorted(KEY_TONICS, key=len, reverse=True) if first.lower().startswith(t.lower())), None)
    if tonic is None:
        raise _problem(name, number, column, f"K:{value.strip()}",
                       "a key such as K:G, K:Em, K:D dorian, K:Bb or K:none",
                       "Name the tonic A-G (with # or b) and a mode; ABC writes E-flat as Eb.")
    rest = [first[len(tonic):]] + words[1:] if first[len(tonic):] else words[1:]
    for index, word in enumerate(rest):
        if index == 0 and word.lower().startswith(KEY_MODES) and _is_mode(word):
            continue
        if _CLEF_WORD.match(word) or _OCTAVE_WORD.match(word) or _SETTING.match(word) or _ACCIDENTALS.match(word):
            continue
        raise _problem(name, number, column, f"K:{value.strip()} (at {word!r})",
                       "a key such as K:G, K:Em, K:D dorian, K:Bb or K:none",
                       "After the tonic come a mode (maj, min, dor, phr, lyd, mix, aeo, ion, loc), a clef, "
                       "or accidentals such as ^f.")


def _is_mode(word: str) -> bool:
    low = word.lower()
    if low in ("m", "min", "minor", "maj", "major"):
        return True
    if low[:3] in ("maj", "min"):
        return low[3:].isalpha() or low[3:] == ""
    return len(low) >= 3 and low[:3] in KEY_MODES and low.isalpha()


class _Tune:
    """The state of one tune while its lines are read: the last token, user-defined decorations."""

    def __init__(self, name: str, first_line: int) -> None:
        self.name, self.first_line, self.last_line = name, first_line, first_line
        self.problem: DataError | None = None  # the first problem found (with skip_bad)
        self.user_symbols: set[str] = set()
        self.last = ""  # the kind of the last body token: "note", "bar", "close" or "" (lines continue it)

    def field(self, letter: str, value: str, number: int, column: int = 1) -> None:
        stripped = _strip_comment(value)
        if letter == "K":
            _check_key(value, self.name, number, column)
        elif letter == "M" and stripped and not _METER.match(stripped.replace(" ", "")):
            raise _problem(self.name, number, column, f"M:{value.strip()}", "a meter such as M:6/8, M:C or M:none")
        elif letter == "L" and stripped and not _LENGTH.match(stripped.replace(" ", "")):
            raise _problem(self.name, number, column, f"L:{value.strip()}", "a unit note length such as L:1/8")
        elif letter == "U" and stripped[:1]:
            self.user_symbols.add(stripped[0])

    def body(self, line: str, number: int) -> None:  # noqa: C901 (one small lexer, read top to bottom)
        i, n = 0, len(line)
        chord = grace = None  # (column) where an open [ or { started

        def fail(at: int, expected: str, length: int = 1, hint: str = "") -> DataError:
            return _problem(self.name, number, at + 1, line[at:at + max(length, 1)] or "<end of line>", expected, hint)

        while i < n:
            c = line[i]
            if c == "%":
                break
            if c in " \t`\\$&":
                i += 1
                continue
            if c == '"':
                end = line.find('"', i + 1)
                if end < 0:
                    raise fail(i, 'an annotation or chord symbol closed by " on the same line', n - i)
                i = end + 1
                continue
            if c in "!+":
                end = line.find(c, i + 1)
                inside = line[i + 1:end] if end > 0 else ""
                if end > 0 and inside and " " not in inside and "|" not in inside:
                    i = end + 1  # a decoration (!trill!) or an old +chord+
                    continue
                if c == "!":
                    i += 1  # an old-style line break
                    continue
                raise fail(i, "a decoration such as +trill+ (closed by + on the same line)")
            if c in _SYMBOLS or c in self.user_symbols:
                i += 1
                continue
            if c == "[":
                field = _FIELD.match(line, i + 1)
                if field:
                    end = line.find("]", i)
                    if end < 0:
                        raise fail(i, "an inline field such as [K:G] closed by ]", n - i)
                    self.field(field.group(1), line[i + 3:end], number, i + 1)
                    i, self.last = end + 1, ""
                    continue
                ending = re.match(r"\[(?:\d+(?:[,-]\d+)*|\|)", line[i:])
                if ending:
                    i += ending.end()  # a repeat ending [1 or a bar line [|
                    self.last = "bar"
                    continue
                if chord is not None or grace is not None:
                    raise fail(i, "no '[' inside a chord or grace group")
                chord, self.last = i, ""
                i += 1
                continue
            if c == "]":
                if chord is not None:
                    chord, self.last = None, "close"
                elif self.last != "bar":
                    raise fail(i, "']' closing a chord '[' (or ending a bar line, as in |])",
                               hint="Remove the stray ']' or add its '['.")
                i += 1
                continue
            if c == "{":
                if grace is not None or chord is not None:
                    raise fail(i, "no '{' inside a grace group or chord")
                grace, self.last = i, ""
                i += 1
                continue
            if c == "}":
                if grace is None:
                    raise fail(i, "'}' closing a grace group '{'", hint="Remove the stray '}' or add its '{'.")
                grace, self.last = None, ""
                i += 1
                continue
            if c in "()":
                match = re.match(r"\(\d(?::\d*)?(?::\d*)?", line[i:])
                i += match.end() if match else 1  # a tuplet such as (3 or (3:2:3, or a slur's ( or )
                self.last = "close" if c == ")" else self.last
                continue
            if c in "|:":
                match = re.match(r"[|:]+(?:\d+(?:[,-]\d+)*)?", line[i:])
                i += match.end()
                self.last = "bar"
                continue
            if c in "<>-":
                i += 1
                continue
            note = re.match(r"(?:\^\^|__|\^|_|=)?[A-Ga-g][,']*|[zZxXy]", line[i:])
            if note:
                i += note.end()
                length = re.match(r"\d*(?:/+\d*)?", line[i:])
                i += length.end()
                self.last = "note"
                continue
            if c.isdigit() or c == "/":
                length = re.match(r"\d*(?:/+\d*)?", line[i:])
                if self.last in ("close", "note") and length.end():
                    i += length.end()  # the length of a chord: [CEG]2
                    continue
                ending = re.match(r"\d+(?:[,-]\d+)*", line[i:])
                if self.last == "bar" and ending:
                    i += ending.end()  # a repeat ending after a bar line: | 1 or :|\ (new line) 2
                    continue
                raise fail(i, "a note length right after a note, rest or chord", length.end())
            token = re.match(r"\S+", line[i:]).group()
            if c in "=^_":
                raise fail(i, "a note after the accidental (=c, ^f, _b)", min(len(token), 20),
                           hint="A '=' at the end of a line, or '=20', comes from e-mail encoding "
                           "(quoted-printable): remove it." if c == "=" else "Add the note or remove the sign.")
            raise fail(i, "ABC notes, rests, bar lines or decorations", min(len(token), 20),
                       hint=f"{c!r} means nothing in ABC here; fix or remove it in a text editor.")
        if chord is not None:
            raise fail(chord, "a chord '[' closed by ']' on the same line", n - chord)
        if grace is not None:
            raise fail(grace, "a grace group '{' closed by '}' on the same line", n - grace)


# --- MIDI ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MidiScan:
    """What :func:`scan_midi` found in a MIDI file's bytes (times in quarter notes)."""

    notes: int            # pitched note-ons (not on the drum channel)
    drum_notes: int       # note-ons on the drum channel
    first_onset: float    # when the first pitched note starts
    longest_gap: float    # the longest silence between two pitched notes (ends to starts)
    length: float         # when the last pitched note ends


def scan_midi(path: str | os.PathLike, *, max_silence: float = MAX_SILENCE) -> MidiScan:
    """Read a standard MIDI file's chunks and note events; a :class:`DataError` names the file when it
    is damaged, holds no pitched notes (or only drums), or is silent for more than ``max_silence``
    quarter notes before its first note or between two notes."""
    path = Path(path)
    name = f"file {path}"
    data = path.read_bytes()
    if data[:4] != b"MThd" or len(data) < 14:
        raise DataError(name, expected="a standard MIDI file (it starts with 'MThd')", got=data[:4] or "<an empty file>",
                        hint="The file is not MIDI, or is damaged; export it again from your music program.")
    length, _, tracks, division = struct.unpack(">IHHH", data[4:14])
    if division & 0x8000:  # SMPTE time: frames per second x ticks per frame; taken at 120 quarters a minute
        ticks_per_quarter = (256 - (division >> 8)) * (division & 0xFF) / 2
    else:
        ticks_per_quarter = division
    if not ticks_per_quarter:
        raise DataError(name, expected="a MIDI header with ticks per quarter note > 0", got=division)
    spans, drums, offset = [], 0, 8 + length
    for index in range(tracks):
        if data[offset:offset + 4] != b"MTrk" or offset + 8 > len(data):
            raise DataError(name, expected=f"{tracks} track chunks ('MTrk')",
                            got=f"<{index} complete, then {data[offset:offset + 4] or 'the end of the file'!r} at byte {offset}>",
                            hint="The file is truncated or damaged; export it again.")
        (size,) = struct.unpack(">I", data[offset + 4:offset + 8])
        start, end = offset + 8, offset + 8 + size
        if end > len(data):
            raise DataError(name, expected=f"track {index + 1} of {size} bytes",
                            got=f"<{len(data) - start} bytes before the file ends>",
                            hint="The file is truncated (a download or copy stopped early); get it again.")
        found, drum_count = _track_notes(data, start, end, name, index)
        spans += found
        drums += drum_count
        offset = end
    if not spans:
        raise DataError(name, expected="a melody with pitched notes",
                        got="<only unpitched (drum) notes>" if drums else "<no notes>",
                        hint="Drum parts (MIDI channel 10) have no melody; give a file with a melody part."
                        if drums else "")
    spans.sort()
    quarters = lambda ticks: ticks / ticks_per_quarter  # noqa: E731
    first = quarters(spans[0][0])
    gap, reach = 0.0, spans[0][1]
    for onset, stop in spans[1:]:
        gap = max(gap, quarters(onset - reach))
        reach = max(reach, stop)
    for what, silence in (("the first note starts after", first), ("two notes are apart by", gap)):
        if silence > max_silence:
            raise DataError(name, expected=f"silences of at most {max_silence:g} quarter notes in a melody",
                            got=f"<{what} {silence:,.0f} quarter notes of silence>",
                            hint="Its timing is probably damaged; trim the silence in a music program and "
                            "export it again.")
    return MidiScan(len(spans), drums, first, gap, quarters(reach))


def _track_notes(data: bytes, start: int, end: int, name: str, index: int) -> tuple[list[tuple[int, int]], int]:
    """``([(onset, end), ...] in ticks for the pitched notes, number of drum notes)`` of one track."""
    position, ticks, status, drums = start, 0, None, 0
    sounding: dict[tuple[int, int], int] = {}
    spans: list[tuple[int, int]] = []

    def damaged(what: str) -> DataError:
        return DataError(name, expected="MIDI events a player can read", got=f"<{what} at byte {position} of track {index + 1}>",
                         hint="The file is damaged; export it again from your music program.")

    def number() -> int:  # a variable-length quantity
        nonlocal position
        value = 0
        for _ in range(4):
            if position >= end:
                raise damaged("a track that ends inside an event")
            byte = data[position]
            position += 1
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                return value
        raise damaged("a number longer than four bytes")

    while position < end:
        ticks += number()
        if position >= end:
            raise damaged("a track that ends after a delta time")
        byte = data[position]
        if byte >= 0x80:
            position += 1
            if byte < 0xF0:
                status = byte
        elif status is None:
            raise damaged("a data byte with no status before it")
        if byte == 0xFF:                       # meta event: type, length, data
            position += 1
            size = number()
            position += size
            continue
        if byte in (0xF0, 0xF7):               # system exclusive: length, data
            size = number()
            position += size
            continue
        if byte >= 0xF0:
            raise damaged(f"an unknown status byte {byte:#04x}")
        kind, channel = status & 0xF0, status & 0x0F
        size = 1 if kind in (0xC0, 0xD0) else 2
        if position + size > end:
            raise damaged("a track that ends inside an event")
        key, velocity = data[position], data[position + 1] if size == 2 else 0
        position += size
        if kind not in (0x80, 0x90):
            continue
        if channel == DRUM_CHANNEL:
            drums += kind == 0x90 and velocity > 0
            continue
        if kind == 0x90 and velocity > 0:
            sounding.setdefault((channel, key), ticks)
        elif (channel, key) in sounding:
            spans.append((sounding.pop((channel, key)), ticks))
    spans += [(onset, ticks) for onset in sounding.values()]  # notes never turned off end with the track
    return spans, drums

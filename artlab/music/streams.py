"""Melodies to and from music21 streams: notation, MIDI and the corpus all pass through here. Lesson 06.

* :func:`to_stream`: a :class:`~artlab.music.melody.Melody` as a music21 ``Part`` with measures,
  ties across bar lines, clef, key and time signature (or a ``Score`` with a title);
* :func:`from_stream`: the melody of a music21 stream: tied notes become one event, grace
  notes and chord symbols are skipped, leading rests set the upbeat, trailing rests go; a
  chord or a second voice is an error unless asked otherwise; the key is the one given, the
  one written, or music21's analysis.
"""
from __future__ import annotations

from fractions import Fraction

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import KEYS, REST, Melody, as_fraction, bar_length, canonical_key

__all__ = ["to_stream", "from_stream"]


def _spell(pitch: int, key: str):
    """A music21 Pitch spelled to suit ``key`` (flats in flat keys, sharps otherwise)."""
    from music21 import pitch as m21pitch

    p = m21pitch.Pitch(midi=pitch)
    tonic, mode = key.split()
    flat_key = "b" in tonic or key in ("F major", "D minor", "G minor", "C minor", "F minor")
    if p.accidental is not None and p.accidental.alter != 0:
        if flat_key and p.accidental.alter > 0:
            p = p.getEnharmonic()
        elif not flat_key and p.accidental.alter < 0:
            p = p.getEnharmonic()
    return p


def to_stream(melody: Melody, *, title: str | None = None):
    """A music21 ``Part`` with measures, ties across bar lines, clef, key and time signature.

    The upbeat becomes a short first measure (``paddingLeft``), as in a printed score. The
    clef is treble, or bass when most notes lie below G3 (a melody around middle C reads best in
    treble with a few ledger lines below).
    """
    from music21 import clef as m21clef
    from music21 import key as m21key
    from music21 import metadata, meter as m21meter, note, stream, tie

    bar = melody.bar_length
    part = stream.Part()
    measures = []
    number = 0 if melody.upbeat else 1
    room = melody.upbeat if melody.upbeat else bar

    def new_measure(first: bool):
        nonlocal number
        m = stream.Measure(number=number)
        number += 1
        if first:
            pitches = sorted(p for p, _ in melody.events if p != REST)
            low = bool(pitches) and pitches[len(pitches) // 2] < 55  # the median note below G3
            m.append(m21clef.BassClef() if low else m21clef.TrebleClef())
            m.append(m21meter.TimeSignature(melody.meter))
            tonic, mode = melody.key.split()
            m.append(m21key.Key(tonic if mode == "major" else tonic.lower(), mode))
            if melody.upbeat:
                m.paddingLeft = float(bar - melody.upbeat)
        measures.append(m)
        return m

    current = new_measure(True)
    for pitch, duration in melody.events:
        left, pieces = duration, 0
        while left > 0:
            if room == 0:
                current = new_measure(False)
                room = bar
            take = min(left, room)
            left -= take
            room -= take
            pieces += 1
            if pitch == REST:
                element = note.Rest(quarterLength=take)
            else:
                element = note.Note(_spell(pitch, melody.key), quarterLength=take)
                if pieces > 1 or left > 0:  # a note across a bar line: tied pieces
                    element.tie = tie.Tie("start" if pieces == 1 else "continue" if left > 0 else "stop")
            current.append(element)
    offset = 0.0
    for m in measures:
        part.insert(offset, m)
        offset += float(m.duration.quarterLength)
    if title:
        score = stream.Score()
        score.metadata = metadata.Metadata(title=title)
        score.insert(0, part)
        return score
    return part


def from_stream(score, *, name: str = "stream", chords: str = "error", part: int | None = None,
                key: str | None = None) -> Melody:
    """The melody of a music21 stream (a Score, Part, or Opus holding one piece).

    * tied notes become one event; consecutive rests merge; grace notes are skipped;
    * leading rests are dropped and set the upbeat; trailing rests are dropped;
    * chord symbols (ABC's ``"G"``) are ignored; a real chord (two pitches at once)
      raises :class:`DataError`, or with ``chords="top"`` keeps its highest pitch;
    * a score with several parts raises :class:`DataError` unless ``part`` picks one;
      unpitched (drum) notes are left out, and a part of drums only counts as no melody;
    * ``key``: a name from :data:`KEYS` to use as it is; ``None`` (the default) for
      music21's key analysis (Krumhansl-Schmuckler); ``"written"`` for the key the file
      states (a MIDI or MusicXML key with its mode), falling back on the analysis.

    Every problem is a :class:`DataError` naming ``name`` and the reason.
    """
    from music21 import chord as m21chord
    from music21 import harmony, stream

    if chords not in ("error", "top"):
        raise ArgumentError("from_stream(chords)", expected="'error' or 'top'", got=chords)
    if isinstance(score, stream.Opus):
        scores = list(score.scores)
        if len(scores) != 1:
            raise DataError(name, expected="one piece", got=f"<{len(scores)} pieces in one file>",
                            hint="Use artlab.music.files.load_melodies(path) to read every piece.")
        score = scores[0]
    if isinstance(score, stream.Score):
        parts = [p for p in score.parts if any(_pitched(n) for n in p.recurse().notes)]
        if part is not None:
            if not 0 <= part < len(score.parts):
                raise DataError(name, expected=f"a part number 0..{len(score.parts) - 1}", got=part)
            line = score.parts[part]
        elif len(parts) == 1:
            line = parts[0]
        elif not parts:
            raise _no_notes(name, drums=any(score.recurse().notes))
        else:
            raise DataError(name, expected="one melodic line (monophonic)", got=f"<{len(parts)} parts with notes>",
                            hint="Pass part=0 (or another number) to take one part as the melody.")
    elif isinstance(score, stream.Stream):
        line = score
    else:
        raise ArgumentError("from_stream(score)", expected="a music21 stream", got=type(score).__name__)

    meters = []
    for ts in line.recurse().getElementsByClass("TimeSignature"):
        if not meters or ts.ratioString != meters[-1]:
            meters.append(ts.ratioString)
    if len(meters) > 1:
        raise DataError(name, expected="one meter throughout", got=f"<meter changes: {' -> '.join(meters[:4])}>")
    meter = meters[0] if meters else "4/4"
    try:
        bar = bar_length(meter)
    except ArgumentError:
        raise DataError(name, expected="a time signature such as 4/4", got=meter) from None

    # Notes in time order (voices inside a measure come one after the other in music21).
    flat = line.flatten()
    notes, drums = [], 0
    for order, element in enumerate(flat.notes):
        if isinstance(element, harmony.Harmony):
            continue  # chord symbols are annotations, not notes
        if not _pitched(element):
            drums += 1
            continue
        if element.duration.isGrace or element.quarterLength == 0:
            continue
        onset = as_fraction(flat.elementOffset(element), name)
        notes.append((onset, order, element))
    if not notes:
        raise _no_notes(name, drums=drums > 0)
    notes.sort(key=lambda item: (item[0], item[1]))

    events: list[list] = []  # [pitch, onset, duration, tied_onward]
    for onset, _, element in notes:
        duration = as_fraction(element.quarterLength, name)
        if isinstance(element, m21chord.Chord):
            if chords == "error" and len(element.pitches) > 1:
                raise DataError(name, expected="one note at a time (monophonic)",
                                got=f"<a chord {element.pitchedCommonName} at quarter {float(onset):g}>",
                                hint="Remove the chords, or keep the top note with chords='top'.")
            pitch = max(p.midi for p in element.pitches)
        else:
            pitch = element.pitch.midi
        tied_on = element.tie is not None and element.tie.type in ("start", "continue")
        if events:
            previous = events[-1]
            end = previous[1] + previous[2]
            if onset == previous[1]:  # two notes at once
                if chords == "error":
                    raise DataError(name, expected="one note at a time (monophonic)",
                                    got=f"<two notes at once at quarter {float(onset):g}>",
                                    hint="Keep only the melody (one voice), or pass part=... for a score.")
                if pitch > previous[0]:
                    previous[0], previous[2], previous[3] = pitch, duration, tied_on
                continue
            if onset < end:
                overlap = end - onset
                if onset + duration <= end or overlap > min(Fraction(1, 4), previous[2] / 2):
                    raise DataError(name, expected="one note at a time (monophonic)",
                                    got=f"<overlapping notes at quarter {float(onset):g}>",
                                    hint="Keep only the melody (one voice), or pass part=... for a score.")
                previous[2] = onset - previous[1]  # a slight legato overlap: end the old note here
                end = onset
            if previous[3] and previous[0] == pitch and onset == end:
                previous[2] += duration  # a tie: one longer note
                previous[3] = tied_on
                continue
            if onset > end:
                events.append([REST, end, onset - end, False])
        events.append([pitch, onset, duration, tied_on])

    # the upbeat: where in its bar the first note starts
    measures = line.getElementsByClass("Measure")
    padding = as_fraction(measures[0].paddingLeft, name) if measures else Fraction(0)
    position = (padding + notes[0][0]) % bar
    upbeat = (bar - position) % bar
    if key == "written":
        key = _written_key(line)
    if key is None:
        key = _analyse_key(line, name)
    elif key not in KEYS:
        raise ArgumentError("from_stream(key)", expected="None, 'written', or a name in KEYS such as 'C major'", got=key)
    pitches = tuple(e[0] for e in events)
    out_of_range = [p for p in pitches if not (p == REST or 0 <= p <= 127)]
    if out_of_range:
        raise DataError(name, expected="MIDI pitches 0..127", got=out_of_range[0])
    return Melody(pitches, tuple(e[2] for e in events), meter, key, upbeat)


def _no_notes(name: str, drums: bool) -> DataError:
    if drums:
        return DataError(name, expected="a melody with at least one pitched note", got="<only unpitched (drum) notes>",
                         hint="Drum parts have no melody; give a file with a melody part.")
    return DataError(name, expected="a melody with at least one note", got="<no notes>")


def _pitched(element) -> bool:
    """Whether a music21 note or chord has pitches (drums are ``Unpitched`` or ``PercussionChord``)."""
    from music21 import note, percussion

    return not isinstance(element, (note.Unpitched, percussion.PercussionChord))


def _written_key(line) -> str | None:
    from music21 import key as m21key

    for found in line.recurse().getElementsByClass(m21key.Key):
        if found.mode in ("major", "minor"):
            return canonical_key(found.tonic.pitchClass, found.mode)
        return None
    return None


def _analyse_key(line, name: str) -> str:
    try:
        found = line.analyze("key")
        return canonical_key(found.tonic.pitchClass, found.mode if found.mode in ("major", "minor") else "major")
    except Exception as error:  # music21 raises several kinds on odd input
        raise DataError(name, expected="a melody whose key music21 can analyse",
                        got=f"<{type(error).__name__}: {error}>", hint="Pass key='C major' (or another) yourself.") from None

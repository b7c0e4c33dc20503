"""Notation: MusicXML and verovio SVG, offline."""
import re

import pytest

from artlab.errors import ArgumentError
from artlab.music.melody import Melody, REST
from artlab.music.notation import musicxml, render_svg, show, write_svg

TUNE = Melody((67, 72, 71, 72, 74, 76, REST, 74, 72), (0.5, 1, 0.5, 1, 0.5, 2.5, 0.5, 1, 3), "3/4", "C major", 0.5)


def test_musicxml_names_the_key_meter_and_notes():
    xml = musicxml(TUNE)
    assert "<beats>3</beats>" in xml and "<beat-type>4</beat-type>" in xml
    assert "<fifths>0</fifths>" in xml
    assert xml.count("<note") >= len(TUNE)
    assert "<sign>G</sign>" in xml  # a treble clef: without one, verovio draws a staff with no clef


def test_low_melodies_get_a_bass_clef():
    low = TUNE.transpose(-24)
    assert "<sign>F</sign>" in musicxml(low)


def test_a_melody_around_middle_c_keeps_the_treble_clef():
    around = Melody((57, 59, 60, 62, 58, 57), (1, 1, 1, 1, 2, 2))  # A3 to D4: a few ledger lines in treble
    assert "<sign>G</sign>" in musicxml(around) and "<sign>F</sign>" not in musicxml(around)


def test_verovio_renders_every_note_and_bar_as_svg(tmp_path):
    svg = render_svg(TUNE, title="test tune")
    assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
    # 8 notes; the 5/2 is written as a half tied to an eighth, and the last C crosses a bar line: 10 heads
    assert len(re.findall(r'class="note"', svg)) == 10
    assert len(re.findall(r'class="rest"', svg)) == 1
    assert len(re.findall(r'class="clef"', svg)) == 1
    assert len(re.findall(r'class="measure"', svg)) == 5  # the upbeat bar, 3 full bars, and the tied end
    assert "test tune" in svg
    path = write_svg(TUNE, tmp_path / "tune.svg")
    assert path.read_text().startswith("<svg")
    assert show(TUNE).data.startswith("<svg")


def test_a_long_melody_stays_on_one_page():
    long = Melody((60, 62, 64, 65) * 40, (1,) * 160)
    svg = render_svg(long)
    assert svg.count("<svg") - svg.count("<svg ", 1) >= 1
    assert len(re.findall(r'class="measure"', svg)) == 40


def test_bad_input():
    with pytest.raises(ArgumentError):
        render_svg("c4 d e")
    with pytest.raises(ArgumentError):
        render_svg(Melody((), ()))

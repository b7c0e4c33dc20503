"""Sheet music, offline: melody -> music21 -> MusicXML -> verovio -> SVG. Lesson 06.

music21's own ``show()`` needs MuseScore or LilyPond installed, and ``show('midi')`` loads a
player from the internet. Neither is used here: verovio (a pip package with its own
music font) engraves MusicXML to SVG on the spot, in a fraction of a second, and the
notebook displays the SVG inline. :func:`show` returns something Jupyter displays;
:func:`render_svg` returns the SVG text; :func:`write_svg` saves it.
"""
from __future__ import annotations

import os
from pathlib import Path

from artlab.errors import ArgumentError, DataError
from artlab.music.melody import Melody
from artlab.music.streams import to_stream

__all__ = ["musicxml", "render_svg", "write_svg", "show"]


def musicxml(melody, *, title: str | None = None) -> str:
    """MusicXML text for a :class:`Melody` (or any music21 stream)."""
    from music21 import stream
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    if isinstance(melody, Melody):
        if len(melody) == 0:
            raise ArgumentError("musicxml(melody)", expected="a melody with at least one note", got=melody)
        score = to_stream(melody, title=title or " ")
    elif isinstance(melody, stream.Stream):
        score = melody
    else:
        raise ArgumentError("musicxml(melody)", expected="a Melody or a music21 stream", got=type(melody).__name__)
    try:
        return GeneralObjectExporter(score).parse().decode("utf-8")
    except Exception as error:  # music21 raises several kinds on odd streams
        raise DataError("musicxml(melody)", expected="music music21 can write as MusicXML",
                        got=f"<{type(error).__name__}: {str(error)[:80]}>") from None


def render_svg(melody, *, title: str | None = None, width: int = 2000, scale: int = 35) -> str:
    """The engraved score as SVG text, every system on one page.

    ``width`` is the page width in verovio's units (about 10 per millimetre at scale 100);
    ``scale`` shrinks the engraving (35 fits a 16-bar tune in a notebook's width).
    """
    import verovio

    toolkit = verovio.toolkit()
    toolkit.setOptions({
        "pageWidth": int(width), "pageHeight": 60000, "adjustPageHeight": True, "scale": int(scale),
        "breaks": "auto", "footer": "none", "header": "auto" if title else "none",
        "pageMarginTop": 40, "pageMarginBottom": 40, "pageMarginLeft": 40, "pageMarginRight": 40,
    })
    if not toolkit.loadData(musicxml(melody, title=title)):
        raise DataError("render_svg(melody)", expected="MusicXML that verovio can read", got="<verovio refused it>")
    return "".join(toolkit.renderToSVG(page) for page in range(1, toolkit.getPageCount() + 1))


def write_svg(melody, path: str | os.PathLike, **options) -> Path:
    """Save :func:`render_svg` to ``path`` (a ``.svg`` file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(melody, **options), encoding="utf-8")
    return path


def show(melody, **options):
    """An ``IPython.display.SVG`` of the score: the last line of a cell shows it."""
    from IPython.display import SVG

    return SVG(render_svg(melody, **options))

"""Piano rolls: a melody drawn as bars of pitch against time. Lessons 06 and 07.

Time runs left to right in quarter notes, pitch bottom to top in MIDI numbers (with the
Cs labelled), each note a rectangle as long as it sounds; thin lines mark the bar lines
(after the upbeat). It is the picture every music program shows, and the quickest way to
see a melody's shape, range and rhythm at a glance.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from artlab.errors import ArgumentError
from artlab.music.melody import REST, Melody, pitch_name

__all__ = ["plot_pianoroll", "plot_pianorolls", "save_pianoroll"]


def plot_pianoroll(melody: Melody, *, ax=None, title: str | None = None, color: str = "tab:blue",
                   pitch_range: tuple[int, int] | None = None, bar_lines: bool = True):
    """Draw ``melody`` on ``ax`` (a new figure if None); return the axes."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if not isinstance(melody, Melody):
        raise ArgumentError("plot_pianoroll(melody)", expected="an artlab.music.melody.Melody", got=type(melody).__name__)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, min(16.0, float(melody.duration) / 4)), 2.8))
    notes = [p for p in melody.pitches if p != REST]
    low, high = pitch_range or ((min(notes), max(notes)) if notes else (60, 72))
    for onset, (pitch, duration) in zip(melody.onsets(), melody.events):
        if pitch == REST:
            continue
        ax.add_patch(Rectangle((float(onset), pitch - 0.4), float(duration) * 0.97, 0.8,
                               facecolor=color, edgecolor="black", linewidth=0.4))
    end = float(melody.duration)
    if bar_lines:
        first = float(melody.upbeat) if melody.upbeat else float(melody.bar_length)
        x = first if melody.upbeat else 0.0
        while x <= end + 1e-9:
            ax.axvline(x, color="0.75", linewidth=0.6, zorder=0)
            x += float(melody.bar_length)
    ax.set_xlim(0, max(end, 1.0))
    ax.set_ylim(low - 1.5, high + 1.5)
    cs = [p for p in range(low - 1, high + 2) if p % 12 == 0]
    ax.set_yticks(cs or [low])
    ax.set_yticklabels([pitch_name(p) for p in (cs or [low])])
    ax.set_xlabel("quarter notes")
    ax.grid(axis="y", color="0.92", linewidth=0.5)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_pianorolls(melodies: Sequence[Melody], titles: Sequence[str] | None = None, *, width: float = 12.0,
                    row_height: float = 2.2, same_range: bool = True):
    """One piano roll per melody, stacked; returns the figure."""
    import matplotlib.pyplot as plt

    melodies = list(melodies)
    if not melodies:
        raise ArgumentError("plot_pianorolls(melodies)", expected="at least one melody", got="<none>")
    if titles is not None and len(titles) != len(melodies):
        raise ArgumentError("plot_pianorolls(titles)", expected=f"{len(melodies)} titles", got=len(titles))
    pitch_range = None
    if same_range:
        notes = [p for m in melodies for p in m.pitches if p != REST]
        pitch_range = (min(notes), max(notes)) if notes else None
    fig, axes = plt.subplots(len(melodies), 1, figsize=(width, row_height * len(melodies)), squeeze=False)
    for i, (m, ax) in enumerate(zip(melodies, axes[:, 0])):
        plot_pianoroll(m, ax=ax, title=titles[i] if titles else None, pitch_range=pitch_range,
                       color=f"C{i % 10}")
        if i < len(melodies) - 1:
            ax.set_xlabel("")
    fig.tight_layout()
    return fig


def save_pianoroll(melody: Melody, path: str | os.PathLike, **options) -> Path:
    """Draw ``melody`` and save the picture (PNG) to ``path``."""
    import matplotlib.pyplot as plt

    ax = plot_pianoroll(melody, **options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=110)
    plt.close(ax.figure)
    return path

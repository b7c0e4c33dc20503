"""Piano-roll pictures: one rectangle per note, bar lines where the bars are."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from artlab.errors import ArgumentError  # noqa: E402
from artlab.music.melody import Melody, REST
from artlab.viz.pianoroll import plot_pianoroll, plot_pianorolls, save_pianoroll  # noqa: E402

TUNE = Melody((67, 72, 71, REST, 74, 76), (0.5, 1, 0.5, 1, 1, 3), "3/4", "C major", 0.5)


def test_one_rectangle_per_note_at_its_onset_and_pitch():
    ax = plot_pianoroll(TUNE)
    boxes = sorted((p.get_x(), p.get_y() + 0.4) for p in ax.patches)
    assert boxes == [(0.0, 67), (0.5, 72), (1.5, 71), (3.0, 74), (4.0, 76)]
    widths = sorted(round(p.get_width() / 0.97, 6) for p in ax.patches)
    assert widths == [0.5, 0.5, 1.0, 1.0, 3.0]
    bar_lines = sorted(round(line.get_xdata()[0], 6) for line in ax.lines)
    assert bar_lines == [0.5, 3.5, 6.5]
    plt.close(ax.figure)


def test_stacked_rolls_share_a_pitch_range_and_save(tmp_path):
    fig = plot_pianorolls([TUNE, TUNE.transpose(-12)], ["original", "octave down"])
    low, high = fig.axes[0].get_ylim()
    assert (low, high) == fig.axes[1].get_ylim() and low < 55 and high > 76
    plt.close(fig)
    path = save_pianoroll(TUNE, tmp_path / "roll.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_bad_input():
    with pytest.raises(ArgumentError):
        plot_pianoroll([60, 62])
    with pytest.raises(ArgumentError):
        plot_pianorolls([TUNE], ["a", "b"])

"""Lesson 05's pictures draw what they are given."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from artlab.viz.seq import plot_accuracy_by_gap, plot_gradient_by_lag, plot_hidden_states  # noqa: E402


def test_gradient_plot_has_one_log_scale_line_per_curve():
    ax = plot_gradient_by_lag({"a": 0.5 ** torch.arange(10.0), "b": torch.ones(10)})
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
    assert list(ax.get_lines()[0].get_ydata())[:2] == [1.0, 0.5]
    plt.close("all")


def test_accuracy_plot_marks_chance_and_each_gap():
    ax = plot_accuracy_by_gap([5, 10, 20], {"RNN": [1.0, 0.5, 0.1], "LSTM": [1.0, 1.0, 1.0]}, chance=0.125)
    assert len(ax.get_lines()) == 5  # a line and its dots per cell, and chance
    assert list(ax.get_lines()[0].get_xdata()) == [5, 10, 20]
    plt.close("all")


def test_accuracy_plot_joins_the_means_over_seeds_and_shows_every_seed():
    ax = plot_accuracy_by_gap([5, 10], {"RNN": [[1.0, 0.5], [0.2, 0.0]]}, chance=0.125)
    mean_line, dots = ax.get_lines()[:2]
    assert list(mean_line.get_ydata()) == [0.75, 0.1]
    assert list(dots.get_xdata()) == [5, 5, 10, 10] and list(dots.get_ydata()) == [1.0, 0.5, 0.2, 0.0]
    plt.close("all")


def test_hidden_states_are_shown_units_down_time_across():
    ax = plot_hidden_states(torch.zeros(7, 3), labels=list("abcdefg"))
    assert ax.images[0].get_array().shape == (3, 7)
    plt.close("all")

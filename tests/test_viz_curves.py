import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from artlab.training import History
from artlab.viz.curves import moving_average, plot_history  # noqa: E402


def test_moving_average_is_a_trailing_mean():
    assert np.allclose(moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    assert np.allclose(moving_average([5, 7], 1), [5, 7])


def test_plot_history_draws_losses_and_d_outputs():
    history = History.from_dict(dict(step=[1, 2, 3], d_loss=[1.0, 1.2, 1.3], g_loss=[0.7, 0.8, 0.7], d_real=[0.6, 0.5, 0.5],
                      d_fake=[0.4, 0.5, 0.5], penalty=[0, 0, 0]))
    left, right = plot_history(history, smooth=2)
    assert len(left.lines) == 3 and len(right.lines) == 3
    assert np.allclose(right.lines[0].get_ydata(), [0.6, 0.55, 0.5])
    plt.close("all")


def test_a_wgan_history_shows_raw_critic_scores_and_the_wasserstein_estimate():
    history = History.from_dict(dict(step=[1, 2], d_loss=[-3.0, -2.0], g_loss=[1.0, 1.5], d_real=[4.0, 3.0], d_fake=[1.0, 1.5],
                      penalty=[0.1, 0.1]))
    left, right = plot_history(history, smooth=1, wasserstein=True)
    assert len(left.lines) == 2  # no log 4 line: it belongs to the cross-entropy game
    assert np.allclose(right.lines[2].get_ydata(), [3.0, 1.5])  # f(x_real) - f(G(z))
    assert right.get_ylim()[1] > 3.5  # scores are not squeezed into [0, 1]
    plt.close("all")

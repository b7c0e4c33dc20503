import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from artlab.gan.train import History  # noqa: E402
from artlab.viz.curves import moving_average, plot_history  # noqa: E402


def test_moving_average_is_a_trailing_mean():
    assert np.allclose(moving_average([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    assert np.allclose(moving_average([5, 7], 1), [5, 7])


def test_plot_history_draws_losses_and_d_outputs():
    history = History(step=[1, 2, 3], d_loss=[1.0, 1.2, 1.3], g_loss=[0.7, 0.8, 0.7], d_real=[0.6, 0.5, 0.5],
                      d_fake=[0.4, 0.5, 0.5], penalty=[0, 0, 0])
    left, right = plot_history(history, smooth=2)
    assert len(left.lines) == 3 and len(right.lines) == 3
    assert np.allclose(right.lines[0].get_ydata(), [0.6, 0.55, 0.5])
    plt.close("all")

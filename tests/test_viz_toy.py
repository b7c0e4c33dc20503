import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import artlab  # noqa: E402
from artlab.data.toy import ring, two_modes_1d  # noqa: E402
from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator
from artlab.gan.train import TrainConfig, train_gan
from artlab.viz.toy import decision_surface, plot_densities_1d, plot_mode_counts, plot_toy, surface_snapshot


class Linear(torch.nn.Module):
    """D(x) = sigmoid(10 * x_0): real on the right half-plane."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([10.0, 0.0]))

    def forward(self, x):
        return x @ self.w


def test_decision_surface_lays_out_rows_as_y_and_columns_as_x():
    surface = decision_surface(Linear(), extent=2.0, resolution=5)
    assert surface.shape == (5, 5)
    assert torch.allclose(surface[:, 2], torch.full((5,), 0.5))  # x = 0 column
    assert (surface[:, -1] > 0.99).all() and (surface[:, 0] < 0.01).all()
    assert torch.allclose(surface[0], surface[-1])  # does not depend on y


def test_decision_surface_repeats_points_for_a_packing_discriminator():
    d = MLPDiscriminator(DiscriminatorConfig(hidden=(8,), pack=3))
    assert decision_surface(d, resolution=4).shape == (4, 4)


def test_surface_snapshots_come_back_from_training():
    artlab.set_seed(0)
    g, d = MLPGenerator(GeneratorConfig(hidden=(8,))), MLPDiscriminator(DiscriminatorConfig(hidden=(8,)))
    result = train_gan(g, d, ring().sample, TrainConfig(steps=4, batch_size=16, snapshot_steps=(0, 4),
                                                        snapshot_samples=10), snapshot_fn=surface_snapshot(resolution=7))
    assert [s.extra["surface"].shape for s in result.snapshots] == [(7, 7), (7, 7)]
    assert d.training and g.training  # snapshots do not leave the models in eval mode


def test_plots_draw_without_error():
    x = torch.linspace(-4, 4, 50)
    p = two_modes_1d().density(x)
    fig, axes = plt.subplots(2, 3)
    plot_densities_1d(x, p, p.flip(0), torch.full_like(x, 0.5), ax=axes[0, 0], title="t")
    plot_toy(ring().sample(20), ring().sample(20), torch.rand(6, 6), ax=axes[0, 1], title="toy")
    plot_mode_counts([3, 0, 5], ax=axes[0, 2])
    assert len(axes[0, 1].collections) == 2 and len(axes[0, 2].patches) == 3
    plt.close(fig)

"""The noise-prediction loss and label dropout for classifier-free guidance."""
import pytest
import torch

from artlab.diffusion.losses import drop_labels, noise_prediction_loss, training_inputs
from artlab.diffusion.schedule import cosine_schedule, linear_schedule
from artlab.errors import ArgumentError


def test_training_inputs_cover_every_step_and_are_standard_normal_noise():
    schedule = linear_schedule(20)
    x0 = torch.zeros(20_000, 3)
    t, noise = training_inputs(schedule, x0, torch.Generator().manual_seed(0))
    assert t.dtype == torch.long and t.shape == (20_000,) and noise.shape == x0.shape
    assert set(t.tolist()) == set(range(20))
    assert abs(noise.mean().item()) < 0.02 and abs(noise.std().item() - 1) < 0.02
    again = training_inputs(schedule, x0, torch.Generator().manual_seed(0))
    assert torch.equal(t, again[0]) and torch.equal(noise, again[1])


def test_a_model_that_knows_the_noise_has_zero_loss_and_any_other_does_not():
    schedule = cosine_schedule(100)
    x0 = torch.rand(8, 1, 4, 4) * 2 - 1
    t, noise = training_inputs(schedule, x0, torch.Generator().manual_seed(1))
    oracle = lambda x_t, t, labels: schedule.predict_eps(x_t, t, x0)  # noqa: E731
    assert noise_prediction_loss(oracle, schedule, x0, t, noise).item() < 1e-8
    zero = lambda x_t, t, labels: torch.zeros_like(x_t)  # noqa: E731
    # predicting 0 costs the mean squared noise
    assert noise_prediction_loss(zero, schedule, x0, t, noise).item() == pytest.approx(noise.pow(2).mean().item())


def test_the_loss_passes_the_noisy_input_the_steps_and_the_labels_to_the_model():
    schedule = linear_schedule(10)
    x0, noise, t, labels = torch.randn(4, 2), torch.randn(4, 2), torch.tensor([0, 3, 6, 9]), torch.tensor([1, 0, 1, 2])
    seen = {}

    def model(x_t, t, labels):
        seen.update(x_t=x_t, t=t, labels=labels)
        return torch.zeros_like(x_t)

    noise_prediction_loss(model, schedule, x0, t, noise, labels)
    assert torch.equal(seen["x_t"], schedule.q_sample(x0, t, noise))
    assert seen["t"] is t and seen["labels"] is labels


def test_a_model_of_the_wrong_shape_is_named():
    schedule = linear_schedule(10)
    with pytest.raises(ArgumentError, match=r"noise_prediction_loss\(model\): expected a prediction of shape"):
        noise_prediction_loss(lambda x, t, y: x[:, :1], schedule, torch.zeros(2, 2), torch.tensor([0, 1]),
                              torch.zeros(2, 2))


def test_drop_labels_replaces_labels_by_the_null_index_at_the_given_rate():
    labels = torch.arange(10).repeat(2_000)  # (20000,)
    dropped = drop_labels(labels, 0.2, 10, torch.Generator().manual_seed(0))
    null = dropped == 10
    assert abs(null.float().mean().item() - 0.2) < 0.015
    assert torch.equal(dropped[~null], labels[~null])  # the others are untouched
    assert torch.equal(drop_labels(labels, 0.0, 10), labels)
    assert (drop_labels(labels, 1.0, 10) == 10).all()
    again = drop_labels(labels, 0.2, 10, torch.Generator().manual_seed(0))
    assert torch.equal(dropped, again)
    assert torch.equal(labels, torch.arange(10).repeat(2_000))  # the input is not changed


@pytest.mark.parametrize("args, what", [
    ((torch.tensor([0, 1]), 1.5, 10), "p_uncond"),
    ((torch.tensor([0, 1]), -0.1, 10), "p_uncond"),
    ((torch.tensor([0, 10]), 0.1, 10), "labels"),
    ((torch.tensor([0.0, 1.0]), 0.1, 10), "labels"),
    ((torch.tensor([0, 1]), 0.1, 0), "num_classes"),
])
def test_drop_labels_names_a_bad_argument(args, what):
    with pytest.raises(ArgumentError, match=rf"^drop_labels\({what}\)"):
        drop_labels(*args)

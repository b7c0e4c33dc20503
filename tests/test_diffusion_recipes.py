"""Lesson 10's recipes: they build, fit the size targets, and their learning-rate rule does what it says."""
import dataclasses

import pytest
import torch

from artlab.diffusion.recipes import DIGITS, DIGITS_CONDITIONAL, TOY_GRID, DiffusionRecipe
from artlab.diffusion.unet import MLPDenoiser, UNet, count_parameters
from artlab.errors import ArgumentError
from artlab.training import scheduled_lr


def test_the_digit_unets_have_200k_to_300k_weights_and_paint_16x16():
    for recipe in (DIGITS, DIGITS_CONDITIONAL):
        model = UNet(recipe.model)
        assert 200_000 <= count_parameters(model) <= 300_000, count_parameters(model)
        labels = torch.tensor([0, 9]) if recipe.model.num_classes else None
        assert model(torch.randn(2, 1, 16, 16), torch.tensor([0, recipe.T - 1]), labels).shape == (2, 1, 16, 16)
    assert DIGITS_CONDITIONAL.model.num_classes == 10 and 0 < DIGITS_CONDITIONAL.p_uncond < 1
    assert DIGITS.model.num_classes == 0 and DIGITS.p_uncond == 0


def test_the_toy_denoiser_is_small_and_unclipped():
    assert count_parameters(MLPDenoiser(TOY_GRID.model)) < 20_000
    assert not TOY_GRID.clip  # the grid spans [-4, 4]: clipping to [-1, 1] would destroy it


@pytest.mark.parametrize("recipe", [TOY_GRID, DIGITS, DIGITS_CONDITIONAL], ids=lambda r: r.name)
def test_each_recipe_builds_its_schedule(recipe):
    schedule = recipe.noise_schedule()
    assert schedule.T == recipe.T and schedule.name == recipe.schedule
    assert recipe.ddim_steps <= recipe.T


def test_the_learning_rate_warms_up_then_falls_to_its_end_share():
    config = dataclasses.replace(DIGITS, steps=1_000, warmup=100, lr_end=0.1).train_config()
    assert config.schedule == "warmup_cosine" and config.ema == DIGITS.ema_decay
    rates = [scheduled_lr(1.0, config.schedule, step, config.steps, lr_end=config.lr_end, warmup=config.warmup)
             for step in range(1_000)]
    assert rates[0] == pytest.approx(0.01, rel=0.01)
    assert max(rates) == pytest.approx(1.0, abs=1e-3) and rates.index(max(rates)) in (99, 100)
    assert all(a >= b for a, b in zip(rates[100:], rates[101:]))  # never rises after the warm-up
    assert scheduled_lr(1.0, config.schedule, 1_000, 1_000, lr_end=0.1, warmup=100) == pytest.approx(0.1)
    assert rates[550] == pytest.approx(0.1 + 0.9 * 0.5, abs=0.01)  # half way down the cosine


def test_an_image_recipe_gives_its_painter_config_and_a_point_recipe_refuses():
    config = DIGITS_CONDITIONAL.painter_config(16)
    assert config.denoiser == DIGITS_CONDITIONAL.model and config.T == DIGITS_CONDITIONAL.T
    assert config.image_shape == (1, 16, 16) and config.guidance == DIGITS_CONDITIONAL.guidance
    with pytest.raises(ArgumentError, match="an image recipe"):
        TOY_GRID.painter_config()


def test_a_bad_recipe_is_named():
    with pytest.raises(ArgumentError, match=r"^DiffusionRecipe\(schedule\)"):
        dataclasses.replace(DIGITS, schedule="sigmoid")
    with pytest.raises(ArgumentError, match=r"^DiffusionRecipe\(p_uncond\): expected 0 for a model without classes"):
        dataclasses.replace(DIGITS, p_uncond=0.1)
    with pytest.raises(ArgumentError, match=r"^DiffusionRecipe\(steps\)"):
        DiffusionRecipe("x", "linear", 10, TOY_GRID.model, 8, 0, 1e-3)

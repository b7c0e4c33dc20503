import math

import torch

from artlab.data.toy import grid, ring
from artlab.gan.recipes import cured, run_toy, vanilla


def test_the_two_recipes_differ_only_in_the_documented_training_settings():
    plain, cure = vanilla(), cured()
    assert plain.generator == cure.generator and plain.discriminator == cure.discriminator
    assert plain.train.steps == cure.train.steps and plain.train.batch_size == cure.train.batch_size
    assert (plain.train.lr, plain.train.d_lr, plain.train.schedule, plain.train.penalty) == (2e-4, 2e-4, "constant", "none")
    assert (cure.train.lr, cure.train.d_lr, cure.train.schedule, cure.train.lr_end, cure.train.penalty) == (
        2e-3, 2e-3, "linear", 0.05, "r1")
    assert math.isclose(cure.train.penalty_weight, 0.1 / 2)  # gamma / 2 with gamma = 0.1


def test_with_train_replaces_fields_and_keeps_the_rest():
    short = cured().with_train(steps=10, snapshot_steps=(0, 10))
    assert short.train.steps == 10 and short.train.snapshot_steps == (0, 10)
    assert short.train.penalty == "r1" and cured().train.steps != 10


def test_run_toy_is_repeatable_and_scores_2500_samples():
    first = run_toy(vanilla().with_train(steps=5), ring(), seed=2)
    again = run_toy(vanilla().with_train(steps=5), ring(), seed=2)
    assert first.samples.shape == (2500, 2)
    assert torch.equal(first.samples, again.samples) and first.metrics == again.metrics
    assert first.metrics.n_modes == 8 and len(first.result.history) == 5
    assert run_toy(cured().with_train(steps=3), grid(), seed=0).metrics.n_modes == 25

"""Lesson 10's training loop on the shared scaffold: it learns, it resumes exactly, it refuses nonsense."""
import dataclasses

import pytest
import torch

from artlab.data.toy import grid
from artlab.diffusion.painter import DiffusionPainter, DiffusionPainterConfig
from artlab.diffusion.schedule import cosine_schedule
from artlab.diffusion.train import TrainConfig, painter_of, train_diffusion
from artlab.diffusion.unet import MLPDenoiser, MLPDenoiserConfig, UNetConfig
from artlab.errors import ArgumentError, CheckpointError, TrainingError
from artlab.painters import load_painter, paint
from artlab.checkpoint import load_checkpoint

TINY = UNetConfig(base_channels=8, channel_mults=(1,), attention=False, groups=4, embed_dim=16)


def points(batch_size):
    return grid().sample(batch_size)


def test_a_short_run_lowers_the_loss_on_the_grid():
    torch.manual_seed(0)
    model = MLPDenoiser(MLPDenoiserConfig(hidden=(32, 32)))
    config = TrainConfig(steps=200, lr=1e-2, batch_size=128, warmup=10, ema=0.9, seed=0, threads=1)
    result = train_diffusion(model, points, config, schedule=cosine_schedule(50))
    loss = result.history.loss
    assert result.steps == 200 and len(loss) == 200 and result.stopped == "steps"
    assert sum(loss[-50:]) / 50 < 0.85 * sum(loss[:10]) / 10
    assert painter_of(result) is result.models["model_ema"] and painter_of(result) is not model


def make_painter():
    torch.manual_seed(0)
    return DiffusionPainter(DiffusionPainterConfig(denoiser=TINY, image_size=8, T=20, sample_steps=4))


def images(batch_size):
    x = torch.rand(batch_size, 1, 8, 8) * 2 - 1
    return x, torch.zeros(batch_size, dtype=torch.long)


def unlabelled(batch_size):
    return images(batch_size)[0]


def test_a_resumed_run_equals_the_uninterrupted_one(tmp_path):
    config = TrainConfig(steps=12, lr=1e-3, batch_size=8, warmup=3, ema=0.9, seed=3, checkpoint_every=5,
                         threads=1)
    whole = train_diffusion(make_painter(), unlabelled, config, checkpoint=tmp_path / "whole.pt")
    half = train_diffusion(make_painter(), unlabelled, config, checkpoint=tmp_path / "half.pt", stop_at=7)
    assert half.steps == 7 and not load_checkpoint(tmp_path / "half.pt").extra["finished"]
    rest = train_diffusion(make_painter(), unlabelled, config, checkpoint=tmp_path / "half.pt",
                           resume_from=tmp_path / "half.pt")
    assert rest.steps == 12 and rest.history.loss == whole.history.loss
    for name in ("model", "model_ema"):
        for a, b in zip(whole.models[name].state_dict().values(), rest.models[name].state_dict().values()):
            assert torch.equal(a, b)
    saved = load_checkpoint(tmp_path / "half.pt")
    assert saved.extra["kind"] == "painter" and saved.extra["model"] == "diffusion" and saved.extra["finished"]
    assert saved.extra["paints_with"] == "model_ema"
    assert torch.equal(paint(load_painter(tmp_path / "half.pt"), 2, seed=5), paint(whole.models["model_ema"], 2, seed=5))
    with pytest.raises(CheckpointError, match="lr"):
        train_diffusion(make_painter(), unlabelled, dataclasses.replace(config, lr=2e-3),
                        resume_from=tmp_path / "half.pt")


def test_a_time_budget_stops_the_run_and_marks_it_finished(tmp_path):
    config = TrainConfig(steps=10_000, batch_size=4, warmup=0, ema=0.0, max_seconds=0.3, seed=0, threads=1)
    result = train_diffusion(make_painter(), unlabelled, config, checkpoint=tmp_path / "t.pt")
    assert result.stopped == "time budget" and 0 < result.steps < 10_000
    assert load_checkpoint(tmp_path / "t.pt").extra["finished"]
    assert "model_ema" not in result.models and painter_of(result) is result.models["model"]


def test_bad_settings_and_a_diverging_run_are_named():
    with pytest.raises(ArgumentError, match=r"TrainConfig\(p_uncond\)"):
        TrainConfig(p_uncond=1.5)
    with pytest.raises(ArgumentError, match=r"TrainConfig\(schedule\)"):
        TrainConfig(schedule="cyclic")
    with pytest.raises(ArgumentError, match=r"TrainConfig\(p_uncond\): expected 0 for a model without classes"):
        train_diffusion(make_painter(), unlabelled, TrainConfig(steps=1, p_uncond=0.1))
    with pytest.raises(ArgumentError, match="schedule"):
        train_diffusion(MLPDenoiser(), points, TrainConfig(steps=1))
    with pytest.raises(ArgumentError, match="sampler"):
        train_diffusion(make_painter(), [1, 2], TrainConfig(steps=1))
    with pytest.raises(TrainingError, match="noise-prediction loss at step 1"):
        train_diffusion(make_painter(), lambda b: torch.full((b, 1, 8, 8), float("nan")), TrainConfig(steps=2))


def test_labels_are_dropped_for_guidance_and_the_run_is_repeatable():
    denoiser = UNetConfig(**{**TINY.__dict__, "num_classes": 2})
    config = TrainConfig(steps=5, batch_size=4, warmup=0, p_uncond=0.5, seed=4, threads=1)

    def run(p_uncond):
        torch.manual_seed(0)  # the same initial weights
        model = DiffusionPainter(DiffusionPainterConfig(denoiser=denoiser, image_size=8, T=20, sample_steps=4))
        return train_diffusion(model, images, dataclasses.replace(config, p_uncond=p_uncond)).history.loss

    assert run(0.5) == run(0.5)
    assert run(0.5) != run(0.0)  # dropping labels changes what the model sees

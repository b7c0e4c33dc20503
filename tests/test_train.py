import dataclasses
import math
import subprocess
import sys
import textwrap

import pytest
import torch

import artlab
from artlab.checkpoint import load_checkpoint
from artlab.data.toy import ring
from artlab.errors import ArgumentError, CheckpointError, TrainingError
from artlab.gan.losses import discriminator_loss, generator_loss_non_saturating
from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator, image_gan
from artlab.gan.train import TrainConfig, batches, d_step, g_step, make_optimizers, painter_of, train_gan
from artlab.painters import paint
from artlab.training import History

SMALL = TrainConfig(steps=30, batch_size=32, snapshot_steps=(0, 10, 30), snapshot_samples=16)


def models(seed=0, dropout=0.0, pack=1):
    artlab.set_seed(seed)
    return (MLPGenerator(GeneratorConfig(latent_dim=2, hidden=(16, 16))),
            MLPDiscriminator(DiscriminatorConfig(hidden=(16, 16), dropout=dropout, pack=pack)))


def weights(*modules):
    return [p.detach().clone() for m in modules for p in m.parameters()]


def test_d_step_moves_only_d_and_reports_its_loss_before_the_update():
    g, d = models()
    opt = make_optimizers(g, d, SMALL)
    x_real, z = ring().sample(32), torch.randn(32, 2)
    with torch.no_grad():
        expected = discriminator_loss(d(x_real), d(g(z))).item()
    g_before, d_before = weights(g), weights(d)
    result = d_step(g, d, opt["discriminator"], x_real, z)
    assert math.isclose(result.loss, expected, rel_tol=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(g_before, weights(g)))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, weights(d)))
    assert all(p.grad is None for p in g.parameters())
    with torch.no_grad():
        assert discriminator_loss(d(x_real), d(g(z))).item() < expected  # the step helped D


def test_g_step_moves_only_g_and_leaves_d_trainable():
    g, d = models()
    opt = make_optimizers(g, d, SMALL)
    z = torch.randn(32, 2)
    with torch.no_grad():
        expected = generator_loss_non_saturating(d(g(z))).item()
    d_before, g_before = weights(d), weights(g)
    result = g_step(g, d, opt["generator"], z)
    assert math.isclose(result.loss, expected, rel_tol=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(d_before, weights(d)))
    assert all(p.grad is None for p in d.parameters())
    assert all(p.requires_grad for p in d.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(g_before, weights(g)))


def test_r1_penalty_enters_the_discriminator_loss():
    g, d = models()
    opt = make_optimizers(g, d, SMALL)
    artlab.set_seed(1)
    x_real, z = ring().sample(32), torch.randn(32, 2)
    plain = d_step(g, d, make_optimizers(g, d, SMALL)["discriminator"], x_real, z, penalty="r1", penalty_weight=0.0)
    g, d = models()
    opt = make_optimizers(g, d, SMALL)
    with_penalty = d_step(g, d, opt["discriminator"], x_real, z, penalty="r1", penalty_weight=5.0)
    assert with_penalty.penalty > 0
    assert math.isclose(with_penalty.loss, plain.loss + 5.0 * with_penalty.penalty, rel_tol=1e-5)


def test_a_lazy_penalty_is_applied_every_kth_discriminator_step():
    g, d = models()
    config = dataclasses.replace(SMALL, steps=7, penalty="r1", penalty_weight=0.5, penalty_every=3, snapshot_steps=())
    result = train_gan(g, d, ring().sample, config)
    applied = [p > 0 for p in result.history.penalty]
    assert applied == [True, False, False, True, False, False, True]


def test_training_records_history_and_snapshots_and_is_repeatable():
    g, d = models()
    artlab.set_seed(5)
    first = train_gan(g, d, ring().sample, SMALL)
    assert len(first.history) == 30 and first.history.step == list(range(1, 31))
    assert [s.step for s in first.snapshots] == [0, 10, 30]
    assert first.snapshots[0].x_fake.shape == (16, 2)
    assert all(0 < v < 1 for v in first.history.d_real + first.history.d_fake)
    g2, d2 = models()
    artlab.set_seed(5)
    second = train_gan(g2, d2, ring().sample, SMALL)
    assert second.history.d_loss == first.history.d_loss
    assert all(torch.equal(a, b) for a, b in zip(weights(g, d), weights(g2, d2)))


def test_snapshot_noise_does_not_disturb_training():
    g, d = models()
    artlab.set_seed(5)
    with_snapshots = train_gan(g, d, ring().sample, SMALL)
    g2, d2 = models()
    artlab.set_seed(5)
    without = train_gan(g2, d2, ring().sample, dataclasses.replace(SMALL, snapshot_steps=()))
    assert with_snapshots.history.g_loss == without.history.g_loss


def test_the_learning_rate_decays_linearly_to_lr_end():
    g, d = models()
    result = train_gan(g, d, ring().sample, dataclasses.replace(SMALL, schedule="linear", lr_end=0.1, steps=10))
    assert math.isclose(result.optimizers["generator"].param_groups[0]["lr"], SMALL.lr * (1 - 0.9 * 9 / 10))
    assert math.isclose(result.optimizers["discriminator"].param_groups[0]["lr"], SMALL.d_lr * (1 - 0.9 * 9 / 10))


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_resume_continues_exactly(tmp_path, dropout):
    """30 steps in one go == 12 steps, a checkpoint, then 18 more in a fresh process-like state."""
    g, d = models(dropout=dropout)
    artlab.set_seed(7)
    whole = train_gan(g, d, ring().sample, SMALL)

    g1, d1 = models(dropout=dropout)
    artlab.set_seed(7)
    path = tmp_path / "gan.pt"
    train_gan(g1, d1, ring().sample, dataclasses.replace(SMALL, steps=12), checkpoint=path)
    artlab.set_seed(999)  # anything in between must not matter
    torch.randn(100)
    g2, d2 = models(seed=123, dropout=dropout)  # other weights: the checkpoint must replace them
    resumed = train_gan(g2, d2, ring().sample, SMALL, resume_from=path)
    assert resumed.steps == 30
    assert resumed.history.d_loss == whole.history.d_loss
    assert resumed.history.g_loss == whole.history.g_loss
    assert [s.step for s in resumed.snapshots] == [0, 10, 30]
    assert torch.equal(resumed.snapshots[-1].x_fake, whole.snapshots[-1].x_fake)
    assert all(torch.equal(a, b) for a, b in zip(weights(g, d), weights(g2, d2)))


def test_stop_at_and_resume_keep_a_decaying_learning_rate_exact(tmp_path):
    config = dataclasses.replace(SMALL, schedule="linear", lr_end=0.05, snapshot_steps=())
    g, d = models()
    artlab.set_seed(7)
    whole = train_gan(g, d, ring().sample, config)
    g1, d1 = models()
    artlab.set_seed(7)
    part = train_gan(g1, d1, ring().sample, config, checkpoint=tmp_path / "gan.pt", stop_at=11)
    assert part.steps == 11 and len(part.history) == 11 and load_checkpoint(tmp_path / "gan.pt").step == 11
    g2, d2 = models(seed=1)
    resumed = train_gan(g2, d2, ring().sample, config, resume_from=tmp_path / "gan.pt")
    assert resumed.history.g_loss == whole.history.g_loss
    assert all(torch.equal(a, b) for a, b in zip(weights(g, d), weights(g2, d2)))


def test_resume_in_a_new_process_gives_the_same_weights(tmp_path):
    script = textwrap.dedent(f"""
        import sys, torch, artlab
        from artlab.data.toy import ring
        from artlab.gan.mlp import DiscriminatorConfig, GeneratorConfig, MLPDiscriminator, MLPGenerator
        from artlab.gan.train import TrainConfig, train_gan
        steps, resume = int(sys.argv[1]), sys.argv[2]
        artlab.set_seed(0)
        g = MLPGenerator(GeneratorConfig(hidden=(16, 16))); d = MLPDiscriminator(DiscriminatorConfig(hidden=(16, 16)))
        config = TrainConfig(steps=steps, batch_size=32)
        train_gan(g, d, ring().sample, config, checkpoint=sys.argv[3], resume_from=resume if resume != "-" else None)
    """)
    run = lambda *args: subprocess.run([sys.executable, "-c", script, *args], check=True,
                                       env={**__import__("os").environ, "ARTLAB_PROGRESS": "0"})
    run("20", "-", str(tmp_path / "whole.pt"))
    run("8", "-", str(tmp_path / "part.pt"))
    run("20", str(tmp_path / "part.pt"), str(tmp_path / "resumed.pt"))
    whole, resumed = load_checkpoint(tmp_path / "whole.pt"), load_checkpoint(tmp_path / "resumed.pt")
    assert resumed.step == whole.step == 20
    for name in ("generator", "discriminator"):
        for key, value in whole.modules[name].items():
            assert torch.equal(value, resumed.modules[name][key]), (name, key)


def test_checkpoint_carries_configs_history_and_snapshots(tmp_path):
    g, d = models()
    train_gan(g, d, ring().sample, SMALL, checkpoint=tmp_path / "gan.pt")
    saved = load_checkpoint(tmp_path / "gan.pt")
    assert saved.extra["kind"] == "painter" and saved.extra["model"] == "mlp" and saved.extra["finished"]
    assert TrainConfig(**saved.extra["train"]) == SMALL
    assert saved.config_type == "GeneratorConfig" and GeneratorConfig(**saved.config) == g.config
    assert saved.extra["discriminator"]["model"] == "MLPDiscriminator"
    assert DiscriminatorConfig(**saved.extra["discriminator"]["config"]) == d.config
    assert len(History.from_dict(saved.extra["history"])) == 30
    assert [s["step"] for s in saved.extra["snapshots"]] == [0, 10, 30]


def test_resuming_with_another_game_is_refused(tmp_path):
    g, d = models()
    train_gan(g, d, ring().sample, dataclasses.replace(SMALL, steps=5), checkpoint=tmp_path / "gan.pt")
    with pytest.raises(CheckpointError, match=r"lr_d None -> 0.01"):
        train_gan(g, d, ring().sample, dataclasses.replace(SMALL, lr_d=0.01), resume_from=tmp_path / "gan.pt")


def test_a_nan_loss_stops_training_with_the_step_and_last_finite_values():
    g, d = models()
    calls = {"n": 0}

    def poisoned(batch_size):
        calls["n"] += 1
        x = ring().sample(batch_size)
        return x if calls["n"] < 4 else x * float("nan")

    with pytest.raises(TrainingError) as error:
        train_gan(g, d, poisoned, SMALL)
    message = str(error.value)
    assert "discriminator loss at step 4" in message and "nan" in message
    assert "at step 3, were d_loss=" in message


def test_data_can_be_an_iterable_of_labelled_batches():
    class Conditional(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner, self.latent_dim, self.seen = inner, getattr(inner, "latent_dim", None), []

        def forward(self, x, labels):
            self.seen.append(labels)
            return self.inner(x)

    g, d = models()
    cg, cd = Conditional(g), Conditional(d)
    loader = [(ring().sample(32), torch.full((32,), k)) for k in range(3)]
    train_gan(cg, cd, loader, dataclasses.replace(SMALL, steps=5, snapshot_steps=()))
    assert len(cd.seen) == 5 * 3 and cg.seen and all(lab.shape == (32,) for lab in cd.seen)
    x, labels = next(batches(loader, 32))
    assert labels is not None and x.shape == (32, 2)


def test_n_critic_runs_several_discriminator_steps_per_generator_step():
    g, d = models()
    drawn = {"n": 0}

    def counting(batch_size):
        drawn["n"] += 1
        return ring().sample(batch_size)

    result = train_gan(g, d, counting, dataclasses.replace(SMALL, n_critic=3, steps=4, snapshot_steps=()))
    assert drawn["n"] == 12 and len(result.history) == 4


def test_the_image_gan_trains_on_flattened_images_of_any_size():
    g_config, d_config = image_gan((1, 12, 12))
    g, d = MLPGenerator(g_config), MLPDiscriminator(d_config)
    images = [torch.rand(8, 1, 12, 12) * 2 - 1 for _ in range(2)]
    result = train_gan(g, d, images, TrainConfig(steps=3, batch_size=8, snapshot_steps=(3,), snapshot_samples=4))
    assert result.snapshots[0].x_fake.shape == (4, 1, 12, 12)
    assert paint(g, 5, seed=0).shape == (5, 1, 12, 12)


def test_bad_configs_and_data_are_explained():
    with pytest.raises(ArgumentError, match="loss"):
        TrainConfig(loss="hinge?")
    with pytest.raises(ArgumentError, match="lr_end"):
        TrainConfig(lr_end=2.0)
    with pytest.raises(ArgumentError, match="sampler"):
        next(batches(42, 8))
    with pytest.raises(ArgumentError, match="empty"):
        next(batches([], 8))


# --- images, WGAN-GP, conditional GANs (lessons 03-04) -----------------------------------------

from artlab.data.images import digits  # noqa: E402
from artlab.gan.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan  # noqa: E402
from artlab.registry import PAINTERS  # noqa: E402


def dcgan_pair(num_classes=0, norm="batch", seed=0):
    artlab.set_seed(seed)
    g_config, d_config = dcgan((1, 16, 16), latent_dim=8, width=8, num_classes=num_classes, norm=norm)
    return DCGANGenerator(g_config), DCGANDiscriminator(d_config)


def test_the_gradient_penalty_enters_the_critic_loss_and_the_history_keeps_raw_scores():
    g, d = dcgan_pair(norm="layer")
    x_real, z = digits(16).images[:16], torch.randn(16, 8)
    opt = make_optimizers(g, d, SMALL)["discriminator"]
    artlab.set_seed(3)
    step = d_step(g, d, opt, x_real, z, loss="wasserstein", penalty="gp", penalty_weight=10.0)
    g, d = dcgan_pair(norm="layer")
    with torch.no_grad():
        scores_real, scores_fake = d(x_real), d(g(z))
    assert step.penalty > 0
    assert math.isclose(step.loss, (scores_fake.mean() - scores_real.mean()).item() + 10.0 * step.penalty, rel_tol=1e-4)
    assert math.isclose(step.d_real, scores_real.mean().item(), rel_tol=1e-5)  # raw critic scores, no sigmoid
    assert math.isclose(step.d_fake, scores_fake.mean().item(), rel_tol=1e-5)


def test_wgan_gp_trains_a_dcgan_with_several_critic_steps(tmp_path):
    g, d = dcgan_pair(norm="layer")
    config = TrainConfig(steps=3, batch_size=8, loss="wasserstein", penalty="gp", penalty_weight=10.0, n_critic=5,
                         lr=1e-4, betas=(0.0, 0.9), snapshot_steps=(0, 3), snapshot_samples=4)
    result = train_gan(g, d, digits(16).sampler(), config, checkpoint=tmp_path / "wgan.pt")
    assert len(result.history) == 3 and all(p > 0 for p in result.history.penalty)
    assert result.snapshots[-1].x_fake.shape == (4, 1, 16, 16)
    saved = load_checkpoint(tmp_path / "wgan.pt")
    assert saved.extra["model"] == "dcgan"
    again = PAINTERS[saved.extra["model"]].build(saved.config)
    again.load_state_dict(saved.modules["generator"])
    assert torch.equal(paint(again, 3, seed=0), paint(g, 3, seed=0))


def test_a_conditional_dcgan_trains_on_labelled_batches():
    g, d = dcgan_pair(num_classes=10)
    seen = []

    def labelled(batch_size):
        x, labels = digits(16).sampler(labelled=True)(batch_size)
        seen.append(labels)
        return x, labels

    result = train_gan(g, d, labelled, TrainConfig(steps=2, batch_size=8, snapshot_steps=()))
    assert len(result.history) == 2 and all(len(s) == 8 for s in seen)
    images = paint(g, 10, labels=torch.arange(10), seed=0)
    assert images.shape == (10, 1, 16, 16)


def test_ema_update_moves_the_average_toward_the_weights_and_copies_buffers():
    model, average = torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    with torch.no_grad():
        model.weight.fill_(2.0)
        average.weight.fill_(0.0)
        model.running_mean.fill_(5.0)
    from artlab.training import ema_update
    ema_update(average, model, 0.75)
    assert torch.allclose(average.weight, torch.full((3,), 0.5))  # 0.75 * 0 + 0.25 * 2
    assert torch.equal(average.running_mean, model.running_mean)


def test_training_keeps_a_moving_average_of_the_generator_that_snapshots_and_checkpoints_use(tmp_path):
    config = dataclasses.replace(SMALL, steps=6, ema=0.5, snapshot_steps=(6,))
    g, d = models()
    start = weights(g)
    result = train_gan(g, d, ring().sample, config, checkpoint=tmp_path / "ema.pt")
    ema = result.models["generator_ema"]
    assert painter_of(result) is ema and ema is not g
    averaged, final = weights(ema), weights(g)
    assert any(not torch.equal(a, b) for a, b in zip(averaged, final))  # an average, not a copy ...
    assert any(not torch.equal(a, b) for a, b in zip(averaged, start))  # ... that moved
    with torch.no_grad():
        z = torch.randn(16, 2, generator=torch.Generator().manual_seed(config.snapshot_seed))
        assert torch.allclose(result.snapshots[-1].x_fake, ema(z))
    assert "generator_ema" in load_checkpoint(tmp_path / "ema.pt").modules
    # resuming continues the average exactly
    g2, d2 = models()
    train_gan(g2, d2, ring().sample, config, checkpoint=tmp_path / "half.pt", stop_at=3)
    g3, d3 = models()
    resumed = train_gan(g3, d3, ring().sample, config, resume_from=tmp_path / "half.pt")
    for a, b in zip(weights(resumed.models["generator_ema"]), averaged):
        assert torch.allclose(a, b)
    with pytest.raises(ArgumentError, match="ema"):
        TrainConfig(ema=1.0)

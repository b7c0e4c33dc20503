import pytest
import torch
from PIL import Image

from artlab import painters
from artlab.checkpoint import save_checkpoint
from artlab.data.images import ImageSet, digits, image_folder, mondrian
from artlab.errors import ArgumentError, CheckpointError
from artlab.gan.dcgan import DCGANGenerator
from artlab.painters import gan


@pytest.fixture(scope="module")
def train_digits():
    return digits(16, "train")


def tiny(recipe, steps=3):
    return recipe.with_train(steps=steps, batch_size=8)


def test_a_painter_trains_snapshots_a_fixed_noise_and_paints(train_digits, tmp_path):
    run = gan.train_painter(tiny(gan.dc_gan(width=8, d_width=8)), train_digits, seed=0, snapshot_steps=(0, 3),
                                 snapshot_samples=6)
    assert run.result.steps == 3 and len(run.result.history) == 3 and run.steps_per_second > 0
    assert [s.step for s in run.result.snapshots] == [0, 3] and run.result.snapshots[0].x_fake.shape == (6, 1, 16, 16)
    images = painters.paint(run.generator, 5)
    assert images.shape == (5, 1, 16, 16) and images.abs().max() <= 1
    assert torch.equal(images, painters.paint(run.generator, 5))  # the same seed, the same paintings
    again = gan.train_painter(tiny(gan.dc_gan(width=8, d_width=8)), train_digits, seed=0)
    assert torch.equal(painters.paint(again.generator, 5), images)  # the same seed, the same training


def test_paintings_are_written_as_png_and_a_checkpoint_paints_the_same(train_digits, tmp_path):
    run = gan.train_painter(tiny(gan.conditional_dcgan(width=8)), train_digits, checkpoint=tmp_path / "c.pt")
    sevens = painters.paint(run.generator, 4, labels=7)
    files = painters.save_paintings(sevens, tmp_path / "out", prefix="seven", scale=3)
    assert [f.name for f in files] == [f"seven_{i:03d}.png" for i in range(4)]
    with Image.open(files[0]) as picture:
        assert picture.size == (48, 48)
    loaded = painters.load_painter(tmp_path / "c.pt")
    assert isinstance(loaded, DCGANGenerator) and not loaded.training
    assert torch.equal(painters.paint(loaded, 4, labels=7), sevens)
    score = painters.score_digits(loaded, n=20)
    assert score.accuracy is not None and 0 <= score.accuracy <= 1 and "painted as asked" in str(score)
    assert painters.score_digits(gan.train_painter(tiny(gan.fc_gan()), train_digits).generator, n=20).accuracy is None


def test_train_or_load_trains_once_and_then_loads_the_same_run(train_digits, tmp_path):
    recipe = tiny(gan.dc_gan(width=8, d_width=8), steps=4)
    path = tmp_path / "dcgan.pt"
    first = gan.train_or_load(recipe, train_digits, path, snapshot_steps=(4,), snapshot_samples=3)
    second = gan.train_or_load(recipe, train_digits, path, snapshot_steps=(4,), snapshot_samples=3)
    assert not first.loaded and second.loaded
    assert second.seconds == pytest.approx(first.seconds, rel=0.5)  # the original run's time, kept in the checkpoint
    assert torch.equal(painters.paint(first.generator, 3), painters.paint(second.generator, 3))
    assert torch.equal(second.result.snapshots[0].x_fake, first.result.snapshots[0].x_fake)
    assert second.result.history.d_loss == first.result.history.d_loss
    any_snapshots = gan.train_or_load(recipe, train_digits, path)
    assert any_snapshots.loaded and len(any_snapshots.result.snapshots) == 1
    other_seed = gan.train_or_load(recipe, train_digits, path, seed=1, snapshot_steps=(4,), snapshot_samples=3)
    longer = gan.train_or_load(recipe.with_train(steps=5), train_digits, path)
    assert not other_seed.loaded and not longer.loaded and longer.result.steps == 5


def test_recipes_fit_every_image_set(tmp_path):
    paintings = mondrian(8, 32, seed=0)
    recipe = gan.for_images(paintings, steps=2)
    assert (recipe.generator.channels, recipe.generator.image_size) == (3, 32)
    for i in range(3):
        Image.new("RGB", (40, 30), (10 * i, 200, 30)).save(tmp_path / f"art_{i}.png")
    folder = image_folder(tmp_path, size=16)
    run = gan.train_painter(gan.for_images(folder, steps=2, width=8, d_width=8).with_train(batch_size=4), folder)
    assert painters.paint(run.generator, 2).shape == (2, 3, 16, 16)
    labelled = gan.for_images(digits(16), steps=2, conditional=True)
    assert labelled.num_classes == 10 and labelled.name == "conditional DCGAN"
    assert gan.wgan_gp().train.loss == "wasserstein" and gan.wgan_gp().discriminator.norm == "layer"


def test_mismatches_are_explained(train_digits, tmp_path):
    with pytest.raises(ArgumentError, match=r"images of shape \(3, 32, 32\)"):
        gan.train_painter(gan.dc_gan((3, 32, 32)), train_digits)
    unlabelled = ImageSet(train_digits.images[:8], None, "unlabelled digits")
    with pytest.raises(ArgumentError, match="labelled images"):
        gan.train_painter(gan.conditional_dcgan(), unlabelled)
    with pytest.raises(ArgumentError, match="with labels"):
        gan.for_images(unlabelled, conditional=True)
    with pytest.raises(ArgumentError, match="power-of-two"):
        gan.for_images(ImageSet(torch.zeros(2, 1, 12, 12), None, "odd"))
    save_checkpoint(tmp_path / "other.pt", modules={"net": torch.nn.Linear(2, 2)}, step=0)
    with pytest.raises(CheckpointError, match="a painter checkpoint"):
        painters.load_painter(tmp_path / "other.pt")


def test_training_uses_the_threads_asked_for_and_gives_the_setting_back(train_digits, monkeypatch):
    import artlab.gan.train as loop

    seen = []
    original = loop.d_step
    monkeypatch.setattr(loop, "d_step", lambda *a, **k: (seen.append(torch.get_num_threads()), original(*a, **k))[1])
    before = torch.get_num_threads()
    gan.train_painter(tiny(gan.dc_gan(width=8, d_width=8), steps=1), train_digits, threads=1)
    gan.train_painter(tiny(gan.dc_gan(width=8, d_width=8), steps=1), train_digits, threads=None)
    assert seen == [1, before] and torch.get_num_threads() == before


def test_the_scorecard_is_the_mean_of_several_noise_batches(train_digits):
    run = gan.train_painter(tiny(gan.dc_gan(width=8, d_width=8)), train_digits)
    score = painters.score_digits(run.generator, n=30, seed=5, draws=3)
    from artlab.gan.quality import digit_quality
    batches = [digit_quality(painters.paint(run.generator, 30, seed=5 + i)) for i in range(3)]
    assert score.quality.fdd == pytest.approx(sum(b.fdd for b in batches) / 3)
    assert score.quality.classes == min(b.classes for b in batches)
    assert score.fdd_range == (min(b.fdd for b in batches), max(b.fdd for b in batches))
    assert "mean of 3 batches" in str(score)
    with pytest.raises(ArgumentError, match="draws"):
        painters.score_digits(run.generator, draws=0)


def test_a_self_conditioned_dcgan_trains_on_its_own_clusters_and_paints_without_labels(train_digits, tmp_path):
    recipe = tiny(gan.self_conditioned_dcgan(clusters=5, width=8, d_width=8))
    assert recipe.num_classes == 5 and recipe.clusters == 5 and not recipe.labelled
    unlabelled = ImageSet(train_digits.images, None, "digits without labels")  # it needs no labels
    run = gan.train_painter(recipe, unlabelled, checkpoint=tmp_path / "self.pt", snapshot_steps=(3,),
                                 snapshot_samples=10)
    assert len(run.cluster_shares) == 5 and sum(run.cluster_shares) == pytest.approx(1)
    painter = run.generator
    assert painter.num_classes == 0 and painter.latent_dim == recipe.generator.latent_dim
    pictures = painters.paint(painter, 6)
    assert pictures.shape == (6, 1, 16, 16) and torch.equal(pictures, painters.paint(painter, 6))
    loaded = painters.load_painter(tmp_path / "self.pt")
    assert type(loaded).__name__ == "ClusterPainter" and torch.equal(painters.paint(loaded, 6), pictures)
    again = gan.train_or_load(recipe, unlabelled, tmp_path / "self.pt", snapshot_steps=(3,), snapshot_samples=10)
    assert again.loaded and again.cluster_shares == run.cluster_shares
    assert torch.equal(painters.paint(again.generator, 6), pictures)
    assert painters.score_digits(painter, n=20, draws=1).accuracy is None
    with pytest.raises(ArgumentError, match="clusters"):
        gan.self_conditioned_dcgan(clusters=1)


def test_a_conditional_painter_is_scored_on_a_balanced_or_a_random_mix_of_digits(train_digits):
    run = gan.train_painter(tiny(gan.conditional_dcgan(width=8)), train_digits)
    balanced = painters.score_digits(run.generator, n=40, draws=2)
    random_mix = painters.score_digits(run.generator, n=40, draws=2, mix="random")
    assert random_mix.quality != balanced.quality  # other labels, other paintings
    assert painters.score_digits(run.generator, n=40, draws=2, mix="random") == random_mix  # seeded
    assert 0 <= random_mix.accuracy <= 1
    with pytest.raises(ArgumentError, match="mix"):
        painters.score_digits(run.generator, mix="lopsided")


def test_a_perfect_copy_of_the_training_digits_scores_at_the_floor_of_real_digits_drawn_at_random(train_digits):
    from artlab.gan.quality import floor_fdd
    from artlab.painters import Memoriser

    perfect = painters.score_digits(Memoriser(train_digits.images), draws=4)
    q = perfect.quality
    assert q.classes == 10 and q.confident > 0.95  # real digits, all ten
    assert q.floor == floor_fdd(200) and 0.7 < perfect.x_floor < 1.3  # as good as real held-out digits drawn at random
    assert "x the floor" in str(perfect)

"""One registry shape for painters and composers, and the seam: a new painter family works everywhere."""
import dataclasses

import pytest
import torch
from torch import nn

from artlab.errors import ArgumentError
from artlab.registry import COMPOSERS, PAINTERS, Registry


def test_the_registries_name_every_built_in_family_and_build_them_lazily():
    assert PAINTERS.names()[:2] == ["dcgan", "mlp"] and COMPOSERS.names() == ["lstm", "transformer"]
    for registry in (PAINTERS, COMPOSERS):
        for entry in registry.entries():
            assert dataclasses.is_dataclass(entry.config) and issubclass(entry.model, nn.Module)
            assert entry.summary and entry.recipe is not None
    assert COMPOSERS["LSTM"].name == "lstm"  # names are case-blind
    with pytest.raises(ArgumentError, match="one of dcgan, mlp"):
        PAINTERS["stylegan"]
    with pytest.raises(ArgumentError, match="not registered yet"):
        PAINTERS.register("dcgan", object, object, summary="again")
    with pytest.raises(ArgumentError, match="lower-case"):
        Registry("painter").register("My GAN", object, object, summary="x")
    with pytest.raises(ArgumentError, match="Register the family"):
        PAINTERS.name_of(object())


# --- a painter family that registers, trains, paints, loads and scores without touching artlab -------

@dataclasses.dataclass(frozen=True)
class FlatConfig:
    latent_dim: int = 4     # noise size
    shade: float = 0.0      # the grey every painting starts from


class FlatPainter(nn.Module):
    """Paints a 16x16 grey picture whose shade is a learned function of the noise."""

    def __init__(self, config: FlatConfig) -> None:
        super().__init__()
        self.config, self.latent_dim, self.num_classes = config, config.latent_dim, 0
        self.linear = nn.Linear(config.latent_dim, 1)

    def forward(self, z, labels=None):
        return torch.tanh(self.linear(z) + self.config.shade)[:, :, None, None].expand(-1, 1, 16, 16)


def flat_recipe(images, request):
    from artlab.training import History, TrainResult, save_run

    torch.manual_seed(request.seed)
    painter = FlatPainter(FlatConfig())
    steps = request.steps or 3
    history = History()
    for step in range(1, steps + 1):
        history.append(step=step, loss=0.0)
    save_run(request.checkpoint, kind="painter", model="flat", model_config=painter.config, train_config=FlatConfig(),
             modules={"painter": painter}, step=steps, history=history, finished=True,
             extra={"paints_with": "painter", "data": images.name, "seed": request.seed})
    return TrainResult(steps=steps, seconds=0.0, history=history, models={"painter": painter})


@pytest.fixture
def flat_family():
    PAINTERS.register("flat", FlatConfig, FlatPainter, summary="a test painter", recipe=flat_recipe)
    yield
    PAINTERS._entries.pop("flat")


def test_a_new_painter_family_works_with_paint_load_the_scorecard_and_the_command_line(flat_family, tmp_path, capsys):
    from artlab.cli import main
    from artlab.painters import load_painter, paint, score_digits
    from artlab.workflow import load

    out = tmp_path / "flat"
    assert main(["paint", "--model", "flat", "--steps", "2", "--out", str(out), "-n", "4", "--grid"]) == 0
    printed = capsys.readouterr().out
    assert "trained flat painter" in printed and (out / "paintings.png").is_file()
    painter = load_painter(out / "painter.pt")
    assert isinstance(painter, FlatPainter) and not painter.training
    assert load(out / "painter.pt").kind == "painter" and load(out / "painter.pt").name == "flat"
    assert torch.equal(paint(painter, 3, seed=1), paint(load_painter(out / "painter.pt"), 3, seed=1))
    assert score_digits(painter, n=20, draws=1).quality.classes >= 0
    assert main(["paint", "--checkpoint", str(out / "painter.pt"), "--out", str(tmp_path / "again"), "-n", "2"]) == 0
    assert "loaded flat painter" in capsys.readouterr().out

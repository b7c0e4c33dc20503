"""The model families ``artlab paint`` and ``artlab compose`` know, by name.

A registry maps a name to an :class:`Entry`: the model's config class (a frozen dataclass), its
model class (``ModelClass(config, **context)``), a one-line summary, and the lesson's recipe for
training a new one. Checkpoints store the name (``extra["model"]``, see :mod:`artlab.checkpoint`),
so one entry is all a checkpoint needs to rebuild its model, in any process.

* :data:`PAINTERS`: models that paint pictures from noise (the :class:`~artlab.painters.Painter`
  protocol): ``"dcgan"`` (lessons 03-04), ``"mlp"`` (the fully connected GAN of lesson 03),
  ``"diffusion"`` (lesson 10). A painter's ``recipe`` is a function
  ``recipe(images, request) -> TrainedPainter`` (see :mod:`artlab.painters`).
* :data:`COMPOSERS`: models over melody tokens (the :class:`~artlab.music.composers.Composer`
  protocol): ``"lstm"`` (lesson 07) and ``"transformer"`` (lesson 08). A composer's ``recipe`` is
  a :class:`artlab.music.recipes.Recipe`.

Classes and recipes may be given as ``"module:attribute"`` strings, imported when first used: the
registries can then name every family without importing any of them (the command line starts
quickly, and no model module imports another). Adding a family is one ``register`` call;
``docs/extending.md`` walks through it.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any

from artlab.errors import ArgumentError

__all__ = ["Entry", "Registry", "PAINTERS", "COMPOSERS"]


def _resolve(target: Any) -> Any:
    """An object, or the object a ``"module:attribute"`` string names."""
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Entry:
    """One model family: how to build it from its config, and how the command line trains it."""

    name: str
    config_ref: Any          # the config class, or "module:Class"
    model_ref: Any           # the model class, or "module:Class"
    summary: str             # one line for --help and error messages
    recipe_ref: Any = None   # the lesson's training recipe (see the module docstring), or "module:name"

    @property
    def config(self) -> type:
        return _resolve(self.config_ref)

    @property
    def model(self) -> type:
        return _resolve(self.model_ref)

    @property
    def recipe(self) -> Any:
        if self.recipe_ref is None:
            raise ArgumentError(f"model {self.name!r}", expected="a model family with a training recipe",
                                got="<none registered>", hint="Train it in its lesson, then pass the checkpoint.")
        return _resolve(self.recipe_ref)

    def make_config(self, values: dict[str, Any]) -> Any:
        """The config from a dict (a checkpoint's ``config``); unknown keys are an error."""
        config_class = self.config
        names = {f.name for f in dataclasses.fields(config_class)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ArgumentError(f"{config_class.__name__} values", expected=f"fields of {config_class.__name__}",
                                got=unknown, hint="The checkpoint was written by another version of the model.")
        return config_class(**values)

    def build(self, config: Any, **context: Any) -> Any:
        """``model(config, **context)``; ``config`` may be a dict of its values."""
        if isinstance(config, dict):
            config = self.make_config(config)
        if not isinstance(config, self.config):
            raise ArgumentError(f"building {self.name!r}", expected=f"a {self.config.__name__}",
                                got=type(config).__name__)
        return self.model(config, **context)


class Registry:
    """Named model families of one kind (``"painter"`` or ``"composer"``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, config: Any, model: Any, *, summary: str, recipe: Any = None,
                 replace: bool = False) -> Entry:
        """Add a family; ``config``, ``model`` and ``recipe`` may be ``"module:attribute"`` strings."""
        if not isinstance(name, str) or not name or name != name.strip().lower():
            raise ArgumentError(f"{self.kind} name", expected="a lower-case name such as 'dcgan'", got=name)
        if name in self._entries and not replace:
            raise ArgumentError(f"{self.kind} name", expected="a name not registered yet (or replace=True)", got=name)
        entry = Entry(name, config, model, summary, recipe)
        self._entries[name] = entry
        return entry

    def __getitem__(self, name: str) -> Entry:
        entry = self._entries.get(str(name).strip().lower()) if isinstance(name, str) else None
        if entry is None:
            raise ArgumentError(f"{self.kind} model", expected=f"one of {', '.join(self.names())}", got=name)
        return entry

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._entries

    def names(self) -> list[str]:
        return list(self._entries)

    def entries(self) -> list[Entry]:
        return list(self._entries.values())

    def name_of(self, config: Any) -> str:
        """The name of the family whose config class ``config`` is an instance of."""
        for entry in self._entries.values():
            if isinstance(config, entry.config):
                return entry.name
        raise ArgumentError(f"a {self.kind} config", expected=f"the config of one of {', '.join(self.names())}",
                            got=type(config).__name__, hint=f"Register the family first: {self.kind.upper()}S.register(...).")

    def build(self, config: Any, **context: Any) -> Any:
        """The model a config describes (any registered family)."""
        return self[self.name_of(config)].build(config, **context)

    def entry_for(self, checkpoint: Any) -> Entry:
        """The entry that rebuilds a loaded checkpoint's model: its ``extra["kind"]`` must be this
        registry's kind and ``extra["model"]`` a registered name; a :class:`CheckpointError` says what to
        do otherwise (which command reads that kind, or which family to register)."""
        from artlab.errors import CheckpointError

        where = f"checkpoint {checkpoint.path}"
        kind = checkpoint.extra.get("kind")
        if kind != self.kind:
            command = {"painter": "artlab paint", "composer": "artlab compose"}.get(kind, "the lesson that wrote it")
            raise CheckpointError(where, expected=f"a {self.kind} checkpoint", got=f"<a {kind or 'unknown'} checkpoint>",
                                  hint=f"Use it with {command}.")
        name = checkpoint.extra.get("model")
        if name not in self:
            raise CheckpointError(where, expected=f"a {self.kind} of a registered family ({', '.join(self.names())})",
                                  got=name, hint=f"Register the family in artlab.registry.{self.kind.upper()}S first.")
        return self[name]

    def help(self) -> str:
        """``name: summary`` lines, for ``--help``."""
        return "; ".join(f"{e.name} ({e.summary})" for e in self._entries.values())


PAINTERS = Registry("painter")
PAINTERS.register("dcgan", "artlab.gan.dcgan:DCGANGeneratorConfig", "artlab.gan.dcgan:DCGANGenerator",
                  summary="a DCGAN, lessons 03-04", recipe="artlab.painters.gan:train_dcgan")
PAINTERS.register("mlp", "artlab.gan.mlp:GeneratorConfig", "artlab.gan.mlp:MLPGenerator",
                  summary="a fully connected GAN, lesson 03", recipe="artlab.painters.gan:train_fc_gan")
PAINTERS.register("diffusion", "artlab.diffusion.painter:DiffusionPainterConfig",
                  "artlab.diffusion.painter:DiffusionPainter", summary="a denoising diffusion model, lesson 10",
                  recipe="artlab.diffusion.recipes:train_diffusion_painter")

COMPOSERS = Registry("composer")
COMPOSERS.register("lstm", "artlab.music.lstm:LSTMConfig", "artlab.music.lstm:LSTMComposer",
                   summary="lesson 07's LSTM", recipe="artlab.music.recipes:FOLK")
COMPOSERS.register("transformer", "artlab.music.transformer:TransformerConfig",
                   "artlab.music.transformer:TransformerComposer",
                   summary="lesson 08's transformer", recipe="artlab.music.recipes:FOLK_TRANSFORMER")

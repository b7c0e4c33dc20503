"""Composers: language models over melody tokens, and what every one of them keeps. Lessons 07-08.

**The composer contract** (:class:`Composer`), so that one training loop (:mod:`artlab.music.train`)
and one set of samplers (:mod:`artlab.music.sample`) serve every model:

* ``model.config``: the frozen dataclass it was built from (saved in checkpoints);
* ``model(tokens)``: token ids ``(B, T)`` -> logits ``(B, T, V)``, where ``logits[:, t]``
  scores the token at ``t + 1`` having seen tokens ``0..t`` (never later ones);
* ``ModelClass(config, vocab)`` builds it (a model may ignore the vocabulary);
* ``model.step(tokens, state)``: one step, ids ``(B,)`` -> ``(logits (B, V), state)``.
  ``state=None`` starts a sequence; the returned state is passed back in with the next
  token. Feeding a sequence through ``step`` one token at a time gives the same logits
  as ``model(tokens)`` (:func:`step_through`; a test checks it for every registered composer),
  only it costs one step per new token, which is what makes sampling fast.

The families are registered by name in :data:`artlab.registry.COMPOSERS` (``"lstm"``,
lesson 07's :mod:`artlab.music.lstm`; ``"transformer"``, lesson 08's
:mod:`artlab.music.transformer`), so a checkpoint rebuilds its model with nothing else
(:func:`load_composer`) and ``artlab compose --model NAME`` trains any of them.

**Knowing the beat.** Whether a note falls on the downbeat or just before a bar line shapes both
its pitch and its length, yet a sequence model must otherwise learn to add up durations to know
where it is. :class:`BarClock` does the adding: from the tokens read so far (the meter, the upbeat
and every duration) it computes where in the bar the *next* note starts, in twelfths of a quarter
note; a composer with ``bar_position=True`` adds a learned embedding of that position to each
token's. It only looks at tokens already read, so the model stays a proper left-to-right model of
the same token sequence, comparable with any other (lesson 07 compares it with n-grams, which
cannot count).
"""
from __future__ import annotations

import os
from fractions import Fraction
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from artlab.errors import CheckpointError
from artlab.music.melody import TICKS_PER_QUARTER, bar_length

__all__ = ["Composer", "BarClock", "build_composer", "load_composer", "composer_from", "count_parameters",
           "step_through"]


@runtime_checkable
class Composer(Protocol):
    """Anything that composes: next-token logits for a batch, and the same one token at a time."""

    config: Any

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor: ...

    def step(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]: ...


class BarClock(nn.Module):
    """Where in its bar the next note starts, from the tokens read so far.

    ``clock(tokens)`` maps ids (B, T) to positions (B, T): after token t, the next event
    starts ``position`` twelfths of a quarter note after the last bar line (``unknown``
    before the meter and upbeat have been read). ``clock.step(token, state)`` does the
    same one token at a time (``state=None`` starts), for sampling.
    """

    STEPS_PER_QUARTER = 12

    def __init__(self, vocab) -> None:
        super().__init__()
        size = len(vocab)
        duration, bar, upbeat = (torch.zeros(size, dtype=torch.long) for _ in range(3))
        for i in range(size):
            kind, name = vocab.kind(i), vocab.name(i)
            if kind == "dur":
                duration[i] = int(vocab.token_duration(i) * TICKS_PER_QUARTER)
            elif kind == "meter":
                bar[i] = int(bar_length(name.split(":", 1)[1]) * TICKS_PER_QUARTER)
            elif kind == "upbeat":
                upbeat[i] = int(Fraction(name.split(":", 1)[1]) * TICKS_PER_QUARTER)
        self.register_buffer("duration", duration, persistent=False)
        self.register_buffer("bar", bar, persistent=False)
        self.register_buffer("upbeat", upbeat, persistent=False)
        longest = int(bar.max()) * self.STEPS_PER_QUARTER // TICKS_PER_QUARTER
        self.unknown = longest          # the position index used before the header is read
        self.size = longest + 1         # positions 0..longest-1, plus unknown

    def _position(self, elapsed, bar, upbeat, seen):
        safe = torch.where(seen, bar, torch.ones_like(bar))
        position = ((elapsed + safe - upbeat) % safe) * self.STEPS_PER_QUARTER // TICKS_PER_QUARTER
        return torch.where(seen, position, torch.full_like(position, self.unknown))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) -> bar positions (B, T) of the next event after each token."""
        elapsed = torch.cumsum(self.duration[tokens], dim=1)            # (B, T) ticks so far
        bar = torch.cummax(self.bar[tokens], dim=1).values              # (B, T) bar length once read
        upbeat = torch.cummax(self.upbeat[tokens], dim=1).values        # (B, T)
        return self._position(elapsed, bar, upbeat, bar > 0)

    def step(self, tokens: torch.Tensor, state=None):
        """One token per sequence (B,) -> (positions (B,), state)."""
        if state is None:
            zeros = torch.zeros_like(tokens)
            state = (zeros, zeros, zeros)
        elapsed, bar, upbeat = state
        elapsed = elapsed + self.duration[tokens]
        bar = torch.maximum(bar, self.bar[tokens])
        upbeat = torch.maximum(upbeat, self.upbeat[tokens])
        return self._position(elapsed, bar, upbeat, bar > 0), (elapsed, bar, upbeat)


def build_composer(config, vocab=None) -> nn.Module:
    """The model a config describes (any family in :data:`artlab.registry.COMPOSERS`), given its vocabulary."""
    from artlab.registry import COMPOSERS

    return COMPOSERS.build(config, vocab=vocab)


@torch.no_grad()
def step_through(model: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """Logits (B, T, V) from feeding token ids (B, T) to ``model.step`` one position at a time.

    For any composer this must equal ``model(tokens)`` (in evaluation mode): the check that
    the fast path used for sampling computes the same model.
    """
    state, steps = None, []
    for t in range(tokens.shape[1]):
        logits, state = model.step(tokens[:, t], state)   # (B, V)
        steps.append(logits)
    return torch.stack(steps, dim=1)                       # (B, T, V)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (a tied matrix counts once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters() if p.requires_grad}.values())


def composer_from(checkpoint) -> tuple[nn.Module, Any]:
    """``(model, vocab)`` from a loaded composer checkpoint: the model rebuilt from its registry name
    and config, with its vocabulary, in evaluation mode."""
    from artlab.music.tokens import Vocabulary
    from artlab.registry import COMPOSERS

    entry = COMPOSERS.entry_for(checkpoint)
    if "vocab" not in checkpoint.extra:
        raise CheckpointError(f"checkpoint {checkpoint.path}", expected="a vocabulary in extra['vocab']", got="<none>")
    vocab = Vocabulary.from_dict(checkpoint.extra["vocab"])
    model = entry.build(checkpoint.config, vocab=vocab)
    checkpoint.restore(modules={"model": model}, rng=False)
    return model.eval(), vocab


def load_composer(path: str | os.PathLike, *, map_location: str | torch.device = "cpu"):
    """``(model, vocab, checkpoint)`` from a checkpoint written by :func:`artlab.music.train.train_composer`.

    Needs nothing but the file: the registry name and config rebuild the model, the vocabulary
    comes from the checkpoint. The model is returned in evaluation mode.
    """
    from artlab.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(path, map_location=map_location)
    model, vocab = composer_from(checkpoint)
    return model, vocab, checkpoint

"""Composers: language models over melody tokens. Lesson 07 (the LSTM); lesson 08 adds a transformer.

**The interface every composer keeps**, so that one training loop (:mod:`artlab.music.train`)
and one set of samplers (:mod:`artlab.music.sample`) serve them all:

* ``model.config``: the frozen dataclass it was built from (saved in checkpoints);
* ``model(tokens)``: token ids ``(B, T)`` -> logits ``(B, T, V)``, where ``logits[:, t]``
  scores the token at ``t + 1`` having seen tokens ``0..t`` (never later ones);
* ``ModelClass(config, vocab)`` builds it (a model may ignore the vocabulary);
* ``model.step(tokens, state)``: one step, ids ``(B,)`` -> ``(logits (B, V), state)``.
  ``state=None`` starts a sequence; the returned state is passed back in with the next
  token. Feeding a sequence through ``step`` one token at a time gives the same logits
  as ``model(tokens)`` (a test checks it), only it costs one step per new token, which is
  what makes sampling fast.

:data:`COMPOSERS` maps a config class name to its ``(config class, model class)`` so a
checkpoint rebuilds its model with nothing else (:func:`load_composer`).

**The LSTM composer** (:class:`LSTMComposer`)::

    e_t = E[x_t] + P[position_t]      # token embedding (+ where in the bar we are), (B, T, embedding_dim)
    h_t, c_t = LSTM(e_t, h_{t-1}, c_{t-1})   # lesson 05 derives the gates; (B, T, hidden_size)
    logits_t = W h_t + b              # (B, T, V)

with dropout after the embedding and after the LSTM while training. With
``tie_weights`` the output layer reuses the embedding matrix (``W = E``, through a
projection when the sizes differ), which saves parameters and usually helps.

**Knowing the beat** (``bar_position=True``). Whether a note falls on the downbeat or
just before a bar line shapes both its pitch and its length, yet an LSTM must otherwise
learn to add up durations to know where it is. :class:`BarClock` does the adding: from
the tokens read so far (the meter, the upbeat and every duration) it computes where in
the bar the *next* note starts, in twelfths of a quarter note, and the model adds a
learned embedding ``P`` of that position to the token's embedding. It only looks at
tokens already read, so the model stays a proper left-to-right model of the same token
sequence, comparable with any other (lesson 07 compares it with n-grams, which cannot
count). The clock needs the vocabulary, so such a model is built with
``LSTMComposer(config, vocab)``.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from artlab.errors import ArgumentError, CheckpointError

__all__ = ["LSTMConfig", "LSTMComposer", "BarClock", "COMPOSERS", "build_composer", "load_composer",
           "count_parameters"]


class BarClock(nn.Module):
    """Where in its bar the next note starts, from the tokens read so far.

    ``clock(tokens)`` maps ids (B, T) to positions (B, T): after token t, the next event
    starts ``position`` twelfths of a quarter note after the last bar line (``unknown``
    before the meter and upbeat have been read). ``clock.step(token, state)`` does the
    same one token at a time (``state=None`` starts), for sampling.
    """

    STEPS_PER_QUARTER = 12
    _TICKS = 48  # durations and upbeats are whole numbers of 1/48 quarter

    def __init__(self, vocab) -> None:
        super().__init__()
        from fractions import Fraction

        from artlab.music.encoding import bar_length

        size = len(vocab)
        duration, bar, upbeat = (torch.zeros(size, dtype=torch.long) for _ in range(3))
        for i in range(size):
            kind, name = vocab.kind(i), vocab.name(i)
            if kind == "dur":
                duration[i] = int(vocab.token_duration(i) * self._TICKS)
            elif kind == "meter":
                bar[i] = int(bar_length(name.split(":", 1)[1]) * self._TICKS)
            elif kind == "upbeat":
                upbeat[i] = int(Fraction(name.split(":", 1)[1]) * self._TICKS)
        self.register_buffer("duration", duration, persistent=False)
        self.register_buffer("bar", bar, persistent=False)
        self.register_buffer("upbeat", upbeat, persistent=False)
        longest = int(bar.max()) * self.STEPS_PER_QUARTER // self._TICKS
        self.unknown = longest          # the position index used before the header is read
        self.size = longest + 1         # positions 0..longest-1, plus unknown

    def _position(self, elapsed, bar, upbeat, seen):
        safe = torch.where(seen, bar, torch.ones_like(bar))
        position = ((elapsed + safe - upbeat) % safe) * self.STEPS_PER_QUARTER // self._TICKS
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


@dataclass(frozen=True)
class LSTMConfig:
    """The shape of an :class:`LSTMComposer`."""

    vocab_size: int                # V: tokens in the vocabulary
    embedding_dim: int = 64        # size of each token's vector
    hidden_size: int = 256         # size of the LSTM's state h_t (and c_t)
    num_layers: int = 1            # stacked LSTM layers
    dropout: float = 0.0           # dropout after the embedding, between layers, and before the output
    tie_weights: bool = False      # output layer shares the embedding matrix
    bar_position: bool = False     # add an embedding of where in the bar the next note starts (needs the vocab)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embedding_dim", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ArgumentError(f"LSTMConfig({name})", expected="a whole number >= 1", got=value)
        if not 0 <= self.dropout < 1:
            raise ArgumentError("LSTMConfig(dropout)", expected="a number in [0, 1)", got=self.dropout)


class LSTMComposer(nn.Module):
    """Embedding -> LSTM -> linear: a next-token model over melody tokens."""

    def __init__(self, config: LSTMConfig, vocab=None) -> None:
        super().__init__()
        if not isinstance(config, LSTMConfig):
            raise ArgumentError("LSTMComposer(config)", expected="an LSTMConfig", got=type(config).__name__)
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.clock = None
        if config.bar_position:
            if vocab is None or len(vocab) != config.vocab_size:
                raise ArgumentError("LSTMComposer(config, vocab)", expected=f"the vocabulary of {config.vocab_size} "
                                    "tokens (bar_position=True needs it to read durations)",
                                    got="<no vocabulary>" if vocab is None else f"<{len(vocab)} tokens>")
            self.clock = BarClock(vocab)
            self.position = nn.Embedding(self.clock.size, config.embedding_dim)
            nn.init.normal_(self.position.weight, std=0.02)
        self.drop = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.embedding_dim, config.hidden_size, num_layers=config.num_layers,
                            batch_first=True, dropout=config.dropout if config.num_layers > 1 else 0.0)
        if config.tie_weights and config.hidden_size != config.embedding_dim:
            self.project = nn.Linear(config.hidden_size, config.embedding_dim)
        else:
            self.project = None
        out_features = config.embedding_dim if config.tie_weights else config.hidden_size
        self.head = nn.Linear(out_features, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embedding.weight

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        h = self.drop(h)
        if self.project is not None:
            h = self.project(h)
        return self.head(h)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) -> logits (B, T, V)."""
        if tokens.dim() != 2:
            raise ArgumentError("LSTMComposer(tokens)", expected="token ids of shape (B, T)", got=tuple(tokens.shape))
        e = self.embedding(tokens)                    # (B, T, E)
        if self.clock is not None:
            e = e + self.position(self.clock(tokens))  # (B, T, E): where in the bar the next note starts
        h, _ = self.lstm(self.drop(e))                # (B, T, H)
        return self._logits(h)                        # (B, T, V)

    def step(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """One token per sequence, ids (B,) -> (logits (B, V), state); ``state=None`` starts."""
        lstm_state, clock_state = state if state is not None else (None, None)
        e = self.embedding(tokens)                     # (B, E)
        if self.clock is not None:
            position, clock_state = self.clock.step(tokens, clock_state)
            e = e + self.position(position)
        h, lstm_state = self.lstm(self.drop(e)[:, None], lstm_state)  # (B, 1, H); (h_n, c_n): (layers, B, H)
        return self._logits(h[:, 0]), (lstm_state, clock_state)      # (B, V)


COMPOSERS: dict[str, tuple[type, type]] = {
    "LSTMConfig": (LSTMConfig, LSTMComposer),
}
"""Config class name -> (config class, model class). Lesson 08 adds its transformer here."""


def build_composer(config, vocab=None) -> nn.Module:
    """The model a config describes (any config in :data:`COMPOSERS`), given its vocabulary."""
    entry = COMPOSERS.get(type(config).__name__)
    if entry is None or not isinstance(config, entry[0]):
        raise ArgumentError("build_composer(config)", expected=f"a config of one of {sorted(COMPOSERS)}",
                            got=type(config).__name__)
    return entry[1](config, vocab)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (a tied matrix counts once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters() if p.requires_grad}.values())


def load_composer(path: str | os.PathLike, *, map_location: str | torch.device = "cpu"):
    """``(model, vocab, checkpoint)`` from a checkpoint written by :func:`artlab.music.train.train_composer`.

    Needs nothing but the file: the config rebuilds the model, the vocabulary comes from
    the checkpoint. The model is returned in evaluation mode.
    """
    from artlab.checkpoint import load_checkpoint
    from artlab.music.encoding import Vocabulary

    checkpoint = load_checkpoint(path, map_location=map_location)
    entry = COMPOSERS.get(checkpoint.config_type)
    if entry is None:
        raise CheckpointError(f"checkpoint {Path(path)}", expected=f"a composer config ({', '.join(COMPOSERS)})",
                              got=checkpoint.config_type or "<no config type>",
                              hint="Was it saved by artlab.music.train.train_composer?")
    if "vocab" not in checkpoint.extra:
        raise CheckpointError(f"checkpoint {Path(path)}", expected="a vocabulary in extra['vocab']", got="<none>")
    config_class, model_class = entry
    names = {f.name for f in dataclasses.fields(config_class)}
    config = config_class(**{k: v for k, v in checkpoint.config.items() if k in names})
    vocab = Vocabulary.from_dict(checkpoint.extra["vocab"])
    model = model_class(config, vocab)
    checkpoint.restore(modules={"model": model}, rng=False)
    model.eval()
    return model, vocab, checkpoint

"""The LSTM composer of lesson 07 (:class:`LSTMComposer`), registered as ``"lstm"``::

    e_t = E[x_t] + P[position_t]      # token embedding (+ where in the bar we are), (B, T, embedding_dim)
    h_t, c_t = LSTM(e_t, h_{t-1}, c_{t-1})   # lesson 05 derives the gates; (B, T, hidden_size)
    logits_t = W h_t + b              # (B, T, V)

with dropout after the embedding and after the LSTM while training. With
``tie_weights`` the output layer reuses the embedding matrix (``W = E``, through a
projection when the sizes differ), which saves parameters and usually helps. With
``bar_position`` the :class:`~artlab.music.composers.BarClock` adds where in the bar the next
note starts; the clock needs the vocabulary, so such a model is built with
``LSTMComposer(config, vocab)``. It keeps the composer contract of :mod:`artlab.music.composers`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from artlab.errors import ArgumentError, probability, whole_number
from artlab.music.composers import BarClock

__all__ = ["LSTMConfig", "LSTMComposer"]


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
            whole_number(getattr(self, name), f"LSTMConfig({name})")
        probability(self.dropout, "LSTMConfig(dropout)", one=False)


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
        h, lstm_state = self._lstm_step(self.drop(e), lstm_state)  # (B, H); (h_n, c_n): (layers, B, H)
        return self._logits(h), (lstm_state, clock_state)          # (B, V)

    def _lstm_step(self, x: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        """``self.lstm`` on one time step, layer by layer through ``torch.lstm_cell`` with its weights.

        The same numbers as ``self.lstm(x[:, None], state)``, but about eight times less overhead
        per call on a CPU, which is what sampling spends its time on. While training with dropout
        between layers, ``self.lstm`` itself runs.
        """
        if self.training and self.lstm.dropout > 0:
            h, state = self.lstm(x[:, None], state)
            return h[:, 0], state
        if state is None:
            zeros = x.new_zeros(self.lstm.num_layers, x.shape[0], self.lstm.hidden_size)
            state = (zeros, zeros)
        hs, cs = [], []
        for layer in range(self.lstm.num_layers):
            weights = [getattr(self.lstm, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h, c = torch.lstm_cell(x, (state[0][layer], state[1][layer]), *weights)  # (B, H) each
            hs.append(h)
            cs.append(c)
            x = h
        return x, (torch.stack(hs), torch.stack(cs))

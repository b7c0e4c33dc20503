"""A recurrent network over tokens: embedding, the loop of lesson 05, a linear readout.

Lesson 05 (``notebooks/05_rnn_recurrences.ipynb``) uses one model for both of its tasks::

    x_t = E[token_t]                 embedding: a learned vector per token
    h_t = cell(x_t, h_{t-1})         RNN, LSTM or GRU from artlab.seq.cells
    logits_t = W_hy h_t + b_y        y_t = softmax(logits_t): the next token's distribution

Read at every step it is a language model over tokens (next-note prediction, trained with
teacher forcing); read at the last step only it is a sequence classifier (the first-note
memory task). Lesson 07's composer is the same loop, larger, on real tunes.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from artlab.errors import ArgumentError, whole_number
from artlab.seq.cells import GRUCell, LSTMCell, RNNCell, unroll

__all__ = ["CELLS", "NetConfig", "make_cell", "set_forget_bias", "RecurrentNet", "generate"]

CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
"""The cell kinds by name."""


@dataclass(frozen=True)
class NetConfig:
    """Sizes of a :class:`RecurrentNet`."""

    cell: str = "lstm"          # "rnn", "lstm" or "gru"
    vocab_size: int = 9         # tokens read
    out_size: int = 8           # classes predicted (the vocabulary again for a language model)
    embedding_size: int = 8     # length of each token's vector x_t
    hidden_size: int = 32       # H, length of h_t
    forget_bias: float = 3.0    # LSTM only: the forget gate starts open, f ≈ σ(3) = 0.95


def set_forget_bias(cell: nn.Module, value: float) -> None:
    """Set an LSTM cell's forget-gate bias b_if + b_hf to *value* (in place).

    With f_t ≈ σ(value) close to 1 at the start of training, the cell c_t keeps what it
    holds and gradients reach far back (Gers et al. 2000; Jozefowicz et al. 2015). Works on
    :class:`~artlab.seq.cells.LSTMCell` and ``torch.nn.LSTMCell`` (blocks i, f, g, o).
    """
    if getattr(cell, "bias_ih", None) is None or cell.weight_ih.shape[0] != 4 * cell.hidden_size:
        raise ArgumentError("set_forget_bias(cell)", expected="an LSTM cell with biases", got=cell)
    hidden = cell.hidden_size
    with torch.no_grad():
        cell.bias_ih[hidden:2 * hidden] = value
        cell.bias_hh[hidden:2 * hidden] = 0.0


def make_cell(kind: str, input_size: int, hidden_size: int, forget_bias: float | None = None) -> nn.Module:
    """A fresh cell of *kind* ("rnn", "lstm" or "gru"); an LSTM gets *forget_bias* if given."""
    if kind not in CELLS:
        raise ArgumentError("cell kind", expected=" or ".join(repr(k) for k in CELLS), got=kind)
    cell = CELLS[kind](input_size, hidden_size)
    if kind == "lstm" and forget_bias is not None:
        set_forget_bias(cell, forget_bias)
    return cell


class RecurrentNet(nn.Module):
    """Embedding -> recurrent cell unrolled over time -> linear readout (see module docstring)."""

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size)
        self.cell = make_cell(config.cell, config.embedding_size, config.hidden_size, config.forget_bias)
        self.readout = nn.Linear(config.hidden_size, config.out_size)

    def embed(self, tokens: Tensor) -> Tensor:
        """tokens (B, T) -> x (T, B, E), time first as unroll wants it."""
        if tokens.dim() != 2 or tokens.dtype not in (torch.int64, torch.int32):
            raise ArgumentError("RecurrentNet(tokens)", expected="an integer tensor (B, T)",
                                got=f"<{tokens.dtype} of shape {tuple(tokens.shape)}>")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.config.vocab_size):
            raise ArgumentError("RecurrentNet(tokens)", expected=f"tokens in [0, {self.config.vocab_size})",
                                got=f"<tokens from {tokens.min().item()} to {tokens.max().item()}>")
        return self.embedding(tokens.T)  # (T, B, E)

    def forward(self, tokens: Tensor, state=None):
        """Logits at every step, (B, T, out_size), and the final state."""
        hs, state = unroll(self.cell, self.embed(tokens), state)  # (T, B, H)
        return self.readout(hs).transpose(0, 1), state          # (B, T, out)

    def last_logits(self, tokens: Tensor) -> Tensor:
        """Logits at the last step only, (B, out_size): the classifier's answer."""
        hs, _ = unroll(self.cell, self.embed(tokens))  # (T, B, H)
        return self.readout(hs[-1])


@torch.no_grad()
def generate(model: RecurrentNet, prime: Tensor, steps: int, temperature: float = 0.0,
             generator: torch.Generator | None = None) -> Tensor:
    """Continue *prime* (B, T0) by *steps* tokens, feeding each prediction back in.

    ``temperature == 0`` picks the most likely token (greedy); otherwise a token is drawn
    from softmax(logits / temperature). Returns (B, T0 + steps).
    """
    whole_number(steps, "generate(steps)", low=0)
    logits, state = model(prime)
    tokens = [prime]
    last = logits[:, -1]  # (B, V)
    for _ in range(steps):
        if temperature > 0:
            probs = torch.softmax(last / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
        else:
            token = last.argmax(dim=-1, keepdim=True)
        tokens.append(token)
        logits, state = model(token, state)
        last = logits[:, -1]
    return torch.cat(tokens, dim=1)

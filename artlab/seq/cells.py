"""Recurrent cells written from their equations: Elman RNN, LSTM, GRU, and the loop over time.

Lesson 05 (``notebooks/05_rnn_recurrences.ipynb``) derives every line here. A recurrent
network is one function applied again and again::

    h_t = f(x_t, h_{t-1})        y_t = g(h_t)

The notation is PyTorch's (``torch.nn.RNNCell`` and friends), so the weights of a torch
cell can be used here unchanged: ``W_ih`` is ``weight_ih``, ``b_hh`` is ``bias_hh``, and
for the gated cells the gate matrices are stacked in torch's order (LSTM: i, f, g, o;
GRU: r, z, n), ``W_ih = [W_ii; W_if; W_ig; W_io]`` of shape (4H, I).

* Pure functions, tensors in and tensors out: :func:`rnn_step`, :func:`lstm_gates`,
  :func:`lstm_step`, :func:`gru_step`.
* Modules holding the weights under torch's names and shapes: :class:`RNNCell`,
  :class:`LSTMCell`, :class:`GRUCell`; ``RNNCell.from_torch(torch_cell)`` copies a torch
  cell (or one layer of ``nn.RNN``/``nn.LSTM``/``nn.GRU``).
* :func:`unroll` runs any cell (these or torch's) over a sequence; :func:`unroll_layers`
  stacks layers as ``nn.RNN(num_layers=L)`` does.

Input may be batched, ``x`` of shape (B, I) and ``h`` (B, H), or a single sequence
element, ``x`` (I,) and ``h`` (H,), as in torch.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple, Sequence

import torch
from torch import Tensor, nn

from artlab.errors import ArgumentError, whole_number

__all__ = [
    "rnn_step", "LSTMGates", "lstm_gates", "lstm_step", "gru_step",
    "RNNCell", "LSTMCell", "GRUCell", "hidden_of", "unroll", "unroll_layers",
]

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"tanh": torch.tanh, "relu": torch.relu}


def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``W x + b`` for a row vector or a batch of rows: x (..., I), W (G, I) -> (..., G)."""
    out = x @ weight.T
    return out if bias is None else out + bias


def _check_shapes(name: str, x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
                  gates: int) -> None:
    hidden = weight_hh.shape[-1]
    if weight_ih.dim() != 2 or weight_hh.dim() != 2 or weight_ih.shape[0] != gates * hidden \
            or weight_hh.shape[0] != gates * hidden:
        raise ArgumentError(
            f"{name}(weight_ih, weight_hh)",
            expected=f"weight_ih of shape ({gates}*H, I) and weight_hh of shape ({gates}*H, H)",
            got=f"<weight_ih {tuple(weight_ih.shape)}, weight_hh {tuple(weight_hh.shape)}>",
            hint="Pass the weights of the matching torch.nn cell (RNN: 1 block, GRU: 3, LSTM: 4).")
    if x.dim() not in (1, 2) or x.shape[-1] != weight_ih.shape[1]:
        raise ArgumentError(
            f"{name}(x)", expected=f"shape (B, {weight_ih.shape[1]}) or ({weight_ih.shape[1]},)",
            got=f"<shape {tuple(x.shape)}>",
            hint="x is one time step: index a sequence xs (T, B, I) as xs[t], or use unroll().")
    want = (*x.shape[:-1], hidden)
    if tuple(h.shape) != want:
        raise ArgumentError(
            f"{name}(h)", expected=f"shape {want} to go with x of shape {tuple(x.shape)}",
            got=f"<shape {tuple(h.shape)}>",
            hint="Batched x (B, I) needs h (B, H); a single x (I,) needs h (H,).")


def _zeros(x: Tensor, hidden: int) -> Tensor:
    return x.new_zeros(*x.shape[:-1], hidden)


def rnn_step(x: Tensor, h: Tensor | None, weight_ih: Tensor, weight_hh: Tensor,
             bias_ih: Tensor | None = None, bias_hh: Tensor | None = None,
             nonlinearity: str = "tanh") -> Tensor:
    """One step of the Elman RNN (lesson 05)::

        h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

    x (B, I) or (I,); h (B, H) or (H,), ``None`` meaning zeros; returns h_t of h's shape.
    ``nonlinearity="relu"`` uses ReLU instead of tanh, as ``torch.nn.RNNCell`` allows.
    """
    if nonlinearity not in _ACTIVATIONS:
        raise ArgumentError("rnn_step(nonlinearity)", expected="'tanh' or 'relu'", got=nonlinearity)
    h = _zeros(x, weight_hh.shape[1]) if h is None else h
    _check_shapes("rnn_step", x, h, weight_ih, weight_hh, gates=1)
    return _ACTIVATIONS[nonlinearity](_affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh))


class LSTMGates(NamedTuple):
    """The four LSTM gates of one step, each (B, H): input i, forget f, candidate g, output o."""

    i: Tensor
    f: Tensor
    g: Tensor
    o: Tensor


def lstm_gates(x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
               bias_ih: Tensor | None = None, bias_hh: Tensor | None = None) -> LSTMGates:
    """The gates of one LSTM step (lesson 05)::

        i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      how much new to write
        f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      how much old to keep
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   what to write
        o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      how much to show

    with the four blocks stacked in the order i, f, g, o, as torch stores them.
    """
    _check_shapes("lstm_gates", x, h, weight_ih, weight_hh, gates=4)
    pre = _affine(x, weight_ih, bias_ih) + _affine(h, weight_hh, bias_hh)  # (B, 4H)
    i, f, g, o = pre.chunk(4, dim=-1)                                      # each (B, H)
    return LSTMGates(torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o))


def lstm_step(x: Tensor, state: tuple[Tensor, Tensor] | None, weight_ih: Tensor, weight_hh: Tensor,
              bias_ih: Tensor | None = None, bias_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step (lesson 05): the gates of :func:`lstm_gates`, then::

        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    state is ``(h_{t-1}, c_{t-1})`` (``None`` meaning zeros); returns ``(h_t, c_t)``.
    The cell c_t changes only by ⊙ and +, which is why gradients survive along it.
    """
    if state is None:
        zeros = _zeros(x, weight_hh.shape[1])
        state = (zeros, zeros)
    h, c = state
    gates = lstm_gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    c = gates.f * c + gates.i * gates.g
    h = gates.o * torch.tanh(c)
    return h, c


def gru_step(x: Tensor, h: Tensor | None, weight_ih: Tensor, weight_hh: Tensor,
             bias_ih: Tensor | None = None, bias_hh: Tensor | None = None) -> Tensor:
    """One GRU step (lesson 05), blocks stacked r, z, n as torch stores them::

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)           reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)           update gate
        n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)) candidate
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    """
    h = _zeros(x, weight_hh.shape[1]) if h is None else h
    _check_shapes("gru_step", x, h, weight_ih, weight_hh, gates=3)
    x_r, x_z, x_n = _affine(x, weight_ih, bias_ih).chunk(3, dim=-1)  # each (B, H)
    h_r, h_z, h_n = _affine(h, weight_hh, bias_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


class _Cell(nn.Module):
    """Weights under torch's names and shapes; ``forward`` calls the pure step function."""

    gates = 1
    torch_type: type = nn.RNNCell
    layer_type: type = nn.RNN

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            whole_number(value, f"{type(self).__name__}({name})")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))  # (G*H, I)
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))  # (G*H, H)
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(rows))
            self.bias_hh = nn.Parameter(torch.empty(rows))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: every weight uniform in [-1/√H, 1/√H]."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    @classmethod
    def from_torch(cls, module: nn.Module, layer: int = 0):
        """A copy of a torch cell, or of layer *layer* of an ``nn.RNN``/``nn.LSTM``/``nn.GRU``."""
        if isinstance(module, cls.torch_type):
            suffix, bias = "", module.bias
        elif isinstance(module, cls.layer_type):
            if module.bidirectional or getattr(module, "proj_size", 0):
                raise ArgumentError(f"{cls.__name__}.from_torch(module)",
                                    expected="a one-directional layer without projections",
                                    got=module, hint="Use bidirectional=False and proj_size=0.")
            if not 0 <= layer < module.num_layers:
                raise ArgumentError(f"{cls.__name__}.from_torch(layer)",
                                    expected=f"0 <= layer < {module.num_layers}", got=layer)
            suffix, bias = f"_l{layer}", module.bias
        else:
            raise ArgumentError(f"{cls.__name__}.from_torch(module)",
                                expected=f"a torch.nn.{cls.torch_type.__name__} or "
                                         f"torch.nn.{cls.layer_type.__name__}",
                                got=f"<{type(module).__name__}>",
                                hint="RNNCell copies RNN weights, LSTMCell LSTM weights, GRUCell GRU weights.")
        weight_ih = getattr(module, "weight_ih" + suffix)
        cell = cls._like(module, weight_ih.shape[1], module.hidden_size, bias).to(weight_ih)  # same dtype, device
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if bias else ()):
                getattr(cell, name).copy_(getattr(module, name + suffix))
        return cell

    @classmethod
    def _like(cls, module: nn.Module, input_size: int, hidden_size: int, bias: bool):
        return cls(input_size, hidden_size, bias)


class RNNCell(_Cell):
    """Elman RNN cell, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (see :func:`rnn_step`).

    Same parameters as ``torch.nn.RNNCell``, so ``load_state_dict`` works both ways.
    """

    gates = 1
    torch_type, layer_type = nn.RNNCell, nn.RNN

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        if nonlinearity not in _ACTIVATIONS:
            raise ArgumentError("RNNCell(nonlinearity)", expected="'tanh' or 'relu'", got=nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias)

    @classmethod
    def _like(cls, module, input_size, hidden_size, bias):
        return cls(input_size, hidden_size, bias, nonlinearity=module.nonlinearity)

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        return rnn_step(x, h, *self._weights(), nonlinearity=self.nonlinearity)


class LSTMCell(_Cell):
    """LSTM cell (see :func:`lstm_gates` and :func:`lstm_step`); state is (h, c).

    Same parameters as ``torch.nn.LSTMCell``: blocks stacked i, f, g, o.
    """

    gates = 4
    torch_type, layer_type = nn.LSTMCell, nn.LSTM

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return lstm_step(x, state, *self._weights())


class GRUCell(_Cell):
    """GRU cell (see :func:`gru_step`). Same parameters as ``torch.nn.GRUCell``: blocks r, z, n."""

    gates = 3
    torch_type, layer_type = nn.GRUCell, nn.GRU

    def forward(self, x: Tensor, h: Tensor | None = None) -> Tensor:
        return gru_step(x, h, *self._weights())


def hidden_of(state) -> Tensor:
    """The hidden vector h of a cell's state: the state itself, or h of an LSTM's (h, c)."""
    return state[0] if isinstance(state, tuple) else state


def unroll(cell: Callable, xs: Tensor, state=None, *, batch_first: bool = False):
    """Run *cell* over a sequence: ``state_t = cell(x_t, state_{t-1})`` for t = 1..T (lesson 05).

    *cell* is any callable ``cell(x, state) -> state``: the cells here, ``torch.nn.RNNCell``,
    ``LSTMCell`` or ``GRUCell``. xs is (T, B, I), or (B, T, I) with ``batch_first=True``, or
    one unbatched sequence (T, I). *state* ``None`` starts from zeros.

    Returns ``(outputs, state)``: every h_t stacked, (T, B, H) (or (B, T, H), or (T, H)),
    and the final state, as ``nn.RNN``/``nn.LSTM`` return them for one layer.
    """
    if not isinstance(xs, Tensor) or xs.dim() not in (2, 3):
        raise ArgumentError("unroll(xs)", expected="a tensor (T, B, I), or (T, I) for one sequence",
                            got=f"<{tuple(xs.shape) if isinstance(xs, Tensor) else type(xs).__name__}>")
    if batch_first and xs.dim() == 3:
        xs = xs.transpose(0, 1)  # (T, B, I)
    if xs.shape[0] == 0:
        raise ArgumentError("unroll(xs)", expected="at least one time step", got="<a sequence of length 0>")
    outputs = []
    for x in xs:  # x: (B, I)
        state = cell(x, state)
        outputs.append(hidden_of(state))
    hs = torch.stack(outputs)  # (T, B, H)
    if batch_first and xs.dim() == 3:
        hs = hs.transpose(0, 1)  # (B, T, H)
    return hs, state


def unroll_layers(cells: Sequence[Callable], xs: Tensor, states: Sequence | None = None, *,
                  batch_first: bool = False):
    """Stacked layers as in ``nn.RNN(num_layers=L)``: layer l reads the outputs of layer l-1.

    Returns ``(outputs of the top layer, [final state of each layer])``.
    """
    states = list(states) if states is not None else [None] * len(cells)
    if len(states) != len(cells):
        raise ArgumentError("unroll_layers(states)", expected=f"{len(cells)} states, one per layer",
                            got=f"<{len(states)} states>")
    finals = []
    for cell, state in zip(cells, states):
        xs, state = unroll(cell, xs, state, batch_first=batch_first)
        finals.append(state)
    return xs, finals

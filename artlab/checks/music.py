"""Checks for exercises 06 and 07 (``exercises/06_music_as_data.ipynb``, ``exercises/07_composing_with_lstm.ipynb``)."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

from artlab.checks import Checker
from artlab.music.melody import REST, Melody
from artlab.music.tokens import Vocabulary

__all__ = ["check_melody_to_tokens", "check_tokens_to_melody", "check_softmax_with_temperature",
           "check_top_p_filter", "check_bigram_nll", "check_training_step"]

_VOCAB = Vocabulary()
_MELODIES = {
    "a scale in 4/4": Melody((60, 62, 64, 65, 67), (1, 1, 1, 1, 4)),
    "a jig with an upbeat and a rest": Melody((67, 72, 71, REST, 72), (Fraction(1, 2), 1, Fraction(1, 2), 1, 2),
                                             "6/8", "G major", Fraction(1, 2)),
    "triplets in A minor": Melody((69, 71, 72, 74), (Fraction(1, 3), Fraction(1, 3), Fraction(1, 3), 3),
                                  "2/4", "A minor", 1),
}


def _names(tokens, vocab=_VOCAB):
    try:
        return [vocab.name(int(t)) for t in tokens]
    except Exception:  # the learner returned something that is not token ids
        return tokens


# --- exercise 06 -------------------------------------------------------------------------

def check_melody_to_tokens(melody_to_tokens) -> None:
    """``melody_to_tokens(melody, vocab)``: <bos> meter key upbeat (pitch dur)* <eos> as ids."""
    with Checker("melody_to_tokens", melody_to_tokens) as c:
        for label, melody in _MELODIES.items():
            got = c.call(melody, _VOCAB)
            c.expect(isinstance(got, (list, tuple)) and all(isinstance(t, (int, np.integer)) for t in got),
                     f"returns a list of token ids ({label})", input=melody, expected="a list of ints",
                     got=type(got).__name__ if not isinstance(got, (list, tuple)) else got,
                     hint="look ids up with vocab.index(name), e.g. vocab.index('pitch:C4').")
            expected = _VOCAB.encode(melody)
            c.expect(len(got) == len(expected), f"has 2 tokens per note plus 5 ({label})", input=melody,
                     expected=f"{len(expected)} tokens", got=f"{len(got)} tokens: {_names(got)[:8]}...",
                     hint="<bos>, meter, key, upbeat, then a pitch (or rest) and a duration per note, then <eos>.")
            c.expect(list(got[:4]) == expected[:4], f"starts with <bos>, meter, key, upbeat ({label})", input=melody,
                     expected=_names(expected[:4]), got=_names(got[:4]),
                     hint="names are 'meter:6/8', 'key:G major', 'upbeat:1/2' (str of the Fraction).")
            c.expect(list(got) == expected, f"spells every note as a pitch token then a duration token ({label})",
                     input=melody, expected=_names(expected), got=_names(got),
                     hint="a rest is 'rest'; a pitch is 'pitch:' + pitch_name(p); a duration 'dur:' + str(d).")


def check_tokens_to_melody(tokens_to_melody) -> None:
    """``tokens_to_melody(tokens, vocab)``: the inverse of ``melody_to_tokens``."""
    with Checker("tokens_to_melody", tokens_to_melody) as c:
        for label, melody in _MELODIES.items():
            tokens = _VOCAB.encode(melody)
            got = c.call(tokens, _VOCAB)
            c.expect(isinstance(got, Melody), f"returns a Melody ({label})", input=_names(tokens)[:6],
                     expected="a Melody", got=type(got).__name__,
                     hint="build Melody(pitches, durations, meter, key, upbeat) at the end.")
            c.expect((got.meter, got.key, got.upbeat) == (melody.meter, melody.key, melody.upbeat),
                     f"reads meter, key and upbeat from the header ({label})", input=_names(tokens)[:4],
                     expected=(melody.meter, melody.key, melody.upbeat), got=(got.meter, got.key, got.upbeat),
                     hint="split each name at ':'; the upbeat is Fraction(text).")
            c.expect(got.pitches == melody.pitches, f"reads pitches and rests ({label})", input=_names(tokens),
                     expected=melody.pitches, got=got.pitches,
                     hint="vocab.token_pitch(t) gives the MIDI number, and REST for the rest token.")
            c.expect(got.durations == melody.durations, f"reads durations exactly ({label})", input=_names(tokens),
                     expected=[str(d) for d in melody.durations], got=[str(d) for d in got.durations],
                     hint="Fraction('1/3') is exact; float('0.333') is not.")
            c.expect(got == melody, f"undoes melody_to_tokens exactly ({label})", input=label, expected=melody, got=got)


# --- exercise 07 -------------------------------------------------------------------------

def check_softmax_with_temperature(softmax_with_temperature) -> None:
    """``softmax_with_temperature(logits, temperature)`` over the last dimension."""
    with Checker("softmax_with_temperature", softmax_with_temperature) as c:
        z = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 3.0, -2.0]])
        out = c.call(z, 1.0)
        c.expect(isinstance(out, torch.Tensor) and out.shape == z.shape, "keeps the shape (a row per sequence)",
                 input=z, expected=tuple(z.shape), got=getattr(out, "shape", type(out).__name__))
        c.expect(torch.allclose(out.sum(-1), torch.ones(2), atol=1e-5), "each row sums to 1", input=z,
                 expected=[1.0, 1.0], got=out.sum(-1), hint="normalise over the last dimension (dim=-1).")
        c.expect(torch.allclose(out, torch.softmax(z, -1), atol=1e-5), "temperature 1 is the plain softmax",
                 input=z, expected=torch.softmax(z, -1), got=out, hint="p = exp(z / T) / sum(exp(z / T)).")
        hot, cold = c.call(z, 4.0), c.call(z, 0.25)
        c.expect(bool(hot[0].max() < out[0].max() < cold[0].max()),
                 "higher temperature flattens, lower temperature sharpens", input="z, T = 4 / 1 / 0.25",
                 expected="max probability grows as T falls", got=(hot[0].max().item(), out[0].max().item(),
                                                                   cold[0].max().item()),
                 hint="divide the logits by T (not multiply).")
        c.expect(torch.equal(cold.argmax(-1), z.argmax(-1)), "keeps the most likely token the most likely",
                 input=z, expected=z.argmax(-1), got=cold.argmax(-1))
        big = torch.tensor([[1000.0, 999.0, 0.0]])
        out = c.call(big, 0.5)
        c.expect(bool(torch.isfinite(out).all()) and abs(out.sum().item() - 1) < 1e-5,
                 "stays finite for large logits (no overflow)", input=big, expected="finite probabilities",
                 got=out, hint="subtract the row's maximum before exp, or use torch.softmax.")


def check_top_p_filter(top_p_filter) -> None:
    """``top_p_filter(logits, p)``: -inf outside the smallest most-likely set with mass >= p."""
    with Checker("top_p_filter", top_p_filter) as c:
        z = torch.log(torch.tensor([[0.5, 0.25, 0.15, 0.07, 0.03]]))
        for p, keep in ((0.5, 1), (0.6, 2), (0.75, 2), (0.8, 3), (0.95, 4), (1.0, 5)):
            out = c.call(z, p)
            c.expect(isinstance(out, torch.Tensor) and out.shape == z.shape, "keeps the shape", input=z,
                     expected=tuple(z.shape), got=getattr(out, "shape", type(out).__name__))
            kept = torch.isfinite(out)[0]
            c.expect(int(kept.sum()) == keep, f"keeps the smallest set with mass >= p (p = {p})",
                     input="probabilities [0.5, 0.25, 0.15, 0.07, 0.03]", expected=f"{keep} tokens kept",
                     got=f"{int(kept.sum())} kept: {kept.tolist()}",
                     hint="sort, take the cumulative sum, and keep a token while the mass *before* it is < p.")
            c.expect(bool(kept[:keep].all()), f"keeps the most likely tokens (p = {p})", input=z,
                     expected=[True] * keep + [False] * (5 - keep), got=kept.tolist())
            c.expect(torch.equal(out[0][kept], z[0][kept]), f"leaves the kept logits unchanged (p = {p})",
                     input=z, expected=z[0][kept], got=out[0][kept], hint="only set the others to -inf.")
        shuffled = z[:, [3, 0, 4, 2, 1]]
        out = c.call(shuffled, 0.8)
        c.expect(torch.isfinite(out)[0].tolist() == [False, True, False, True, True],
                 "works when the logits are not sorted", input=shuffled, expected=[False, True, False, True, True],
                 got=torch.isfinite(out)[0].tolist(), hint="sort a copy, then put the mask back in the original order "
                 "(scatter, or index with the sort order).")
        rows = torch.stack([z[0], z[0].flip(0)])
        out = c.call(rows, 0.6)
        c.expect(torch.isfinite(out).sum(-1).tolist() == [2, 2] and bool(torch.isfinite(out)[1, -2:].all()),
                 "filters each row of a batch on its own", input=rows, expected="2 kept in each row",
                 got=torch.isfinite(out).tolist(), hint="do everything along dim=-1.")
        sure = torch.tensor([[10.0, 0.0, 0.0]])
        out = c.call(sure, 0.1)
        c.expect(torch.isfinite(out)[0].tolist() == [True, False, False], "always keeps the single most likely token",
                 input=sure, expected=[True, False, False], got=torch.isfinite(out)[0].tolist())


def _reference_bigram(train, test, vocab_size, alpha):
    counts = np.zeros((vocab_size, vocab_size))
    for s in train:
        for a, b in zip(s[:-1], s[1:]):
            counts[a, b] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (counts + alpha) / (counts.sum(1, keepdims=True) + alpha * vocab_size)
        return np.array([-math.log(p[a, b]) if p[a, b] > 0 else math.inf for s in test for a, b in zip(s[:-1], s[1:])])


def check_bigram_nll(bigram_nll) -> None:
    """``bigram_nll(train, test, vocab_size, alpha)``: NLL of every test target under an add-alpha bigram."""
    with Checker("bigram_nll", bigram_nll) as c:
        train = [[1, 3, 4, 3, 5, 2], [1, 3, 4, 4, 2], [1, 5, 3, 4, 2]]
        test = [[1, 3, 4, 2], [1, 5, 5, 3, 2]]
        v = 6
        out = c.call(train, test, v, 0.0)
        expected = _reference_bigram(train, test, v, 0.0)
        c.expect(np.asarray(out).shape == expected.shape, "returns one NLL per test target (every token after the first)",
                 input=test, expected=f"{len(expected)} values", got=f"{np.asarray(out).shape}",
                 hint="targets are s[1:], each predicted from the token before it.")
        c.expect(np.allclose(np.asarray(out, dtype=float)[np.isfinite(expected)], expected[np.isfinite(expected)]),
                 "with alpha = 0 it is -log(count(v, w) / count(v))", input=(train, test), expected=expected,
                 got=np.asarray(out), hint="count pairs (v, w) in train; divide by how often v is followed by anything.")
        out = c.call(train, test, v, 0.5)
        expected = _reference_bigram(train, test, v, 0.5)
        c.expect(np.all(np.isfinite(np.asarray(out, dtype=float))), "with alpha > 0 unseen pairs get a finite NLL",
                 input="test pair (5, 5) never occurs in train", expected="finite values", got=np.asarray(out),
                 hint="add alpha to every count, and alpha * V to every row total.")
        c.expect(np.allclose(np.asarray(out, dtype=float), expected), "p(w | v) = (c(v,w) + alpha) / (c(v) + alpha V)",
                 input=(train, test, v, 0.5), expected=expected, got=np.asarray(out))
        every = [[a, b] for a in range(v) for b in range(v)]
        out = np.asarray(c.call(train, every, v, 0.5), dtype=float).reshape(v, v)
        c.expect(np.allclose(np.exp(-out).sum(1), 1.0), "the probabilities after each token sum to 1", input="all pairs",
                 expected=np.ones(v), got=np.exp(-out).sum(1), hint="the row total must include alpha * V.")


class _TinyComposer(torch.nn.Module):
    """A small LSTM composer; the checker's deep copy passes it through, so a step changes it in place."""

    def __deepcopy__(self, memo):
        return self

    def __init__(self, vocab_size=12):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab_size, 8)
        self.lstm = torch.nn.LSTM(8, 16, batch_first=True)
        self.head = torch.nn.Linear(16, vocab_size)

    def forward(self, tokens):
        h, _ = self.lstm(self.embedding(tokens))
        return self.head(h)


class _SGD(torch.optim.SGD):
    def __deepcopy__(self, memo):
        return self


def _reference_loss(model, tokens, pad=0):
    logits = model(tokens[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), ignore_index=pad)


def check_training_step(training_step) -> None:
    """``training_step(model, optimizer, tokens)``: one optimizer step; returns the loss before it (a float)."""
    torch.manual_seed(0)
    tokens = torch.tensor([[1, 5, 6, 7, 8, 2, 0, 0], [1, 5, 9, 7, 10, 11, 6, 2]])
    model = _TinyComposer()
    with Checker("training_step", training_step) as c:
        reference = _TinyComposer()
        reference.load_state_dict(model.state_dict())
        with torch.no_grad():
            expected = _reference_loss(reference, tokens).item()
        optimizer = _SGD(model.parameters(), lr=0.5)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        loss = c.call(model, optimizer, tokens)
        c.expect(isinstance(loss, float), "returns the loss as a Python float", input="a batch of 2 melodies",
                 expected="a float", got=type(loss).__name__, hint="return loss.item().")
        c.expect(abs(loss - expected) < 1e-4, "the loss is the mean cross-entropy of next tokens, ignoring <pad> (0)",
                 input=tokens, expected=round(expected, 5), got=round(loss, 5),
                 hint="logits = model(tokens[:, :-1]); targets = tokens[:, 1:]; "
                 "F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=0).")
        changed = any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
        c.expect(changed, "updates the model's parameters", input="SGD, lr 0.5", expected="changed weights",
                 got="unchanged weights", hint="call loss.backward() and then optimizer.step().")
        ref_opt = torch.optim.SGD(reference.parameters(), lr=0.5)
        for _ in range(2):
            ref_opt.zero_grad()
            _reference_loss(reference, tokens).backward()
            ref_opt.step()
        c.call(model, optimizer, tokens)
        same = all(torch.allclose(a, b, atol=1e-5) for a, b in zip(model.state_dict().values(),
                                                                   reference.state_dict().values()))
        c.expect(same, "two steps equal two clean SGD steps (gradients are zeroed each time)",
                 input="two calls", expected="the reference weights", got="different weights",
                 hint="call optimizer.zero_grad() before loss.backward(), or gradients pile up.")
        losses = [c.call(model, optimizer, tokens) for _ in range(5)]
        c.expect(losses[-1] < losses[0], "repeated steps lower the loss on the same batch", input="5 more steps",
                 expected="a falling loss", got=[round(x, 3) for x in losses])

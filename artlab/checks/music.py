"""Checks for exercises 06 and 07 (``exercises/06_music_as_data.ipynb``, ``exercises/07_composing_with_lstm.ipynb``).

Besides the encoder, the decoder, the samplers, the bigram baseline and one training step, two
checks test what the learner derives first: :func:`check_bar_positions` (where in its bar each
note starts, exactly, compared with the corpus melodies' own bar numbers) and
:func:`check_temperature_for_entropy` (the temperature that gives a next-note distribution a
chosen entropy, which exists because the entropy grows with the temperature).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

from artlab.checks import Checker
from artlab.music.melody import REST, Melody
from artlab.music.tokens import Vocabulary

__all__ = ["check_melody_to_tokens", "check_tokens_to_melody", "check_bar_positions", "check_softmax_with_temperature",
           "check_top_p_filter", "check_temperature_for_entropy", "check_bigram_nll", "check_training_step"]

_VOCAB = Vocabulary()
_MELODIES = {
    "a scale in 4/4": Melody((60, 62, 64, 65, 67), (1, 1, 1, 1, 4)),
    "a jig with an upbeat and a rest": Melody((67, 72, 71, REST, 72), (Fraction(1, 2), 1, Fraction(1, 2), 1, 2),
                                             "6/8", "G major", Fraction(1, 2)),
    "triplets in A minor": Melody((69, 71, 72, 74), (Fraction(1, 3), Fraction(1, 3), Fraction(1, 3), 3),
                                  "2/4", "A minor", 1),
}


_HIDDEN_MELODIES = {
    "a waltz in D major with sixteenths": Melody((62, 66, REST, 69, 74, 61),
                                                 (Fraction(3, 2), Fraction(1, 2), 1, 2, Fraction(3, 4), Fraction(1, 4)),
                                                 "3/4", "D major", 0),
    "a 9/8 tune in Eb minor with a long upbeat": Melody((63, 66, 70, REST, 75),
                                                        (Fraction(1, 6), Fraction(1, 6), Fraction(2, 3), Fraction(1, 2),
                                                         Fraction(5, 2)), "9/8", "Eb minor", Fraction(3, 2)),
}
ENCODE = ("tokens = [vocab.index('<bos>'), vocab.index(f'meter:{melody.meter}'), vocab.index(f'key:{melody.key}'), "
          "vocab.index(f'upbeat:{melody.upbeat}')]; for pitch, d in zip(melody.pitches, melody.durations): "
          "tokens += [vocab.index('rest' if pitch == REST else f'pitch:{pitch_name(pitch)}'), vocab.index(f'dur:{d}')]; "
          "tokens.append(vocab.index('<eos>'))")
DECODE = ("names = [vocab.name(t) for t in tokens]; meter, key, upbeat = (n.split(':', 1)[1] for n in names[1:4]); "
          "pitches = [vocab.token_pitch(t) for t in tokens[4:-1:2]]; "
          "durations = [Fraction(n.split(':', 1)[1]) for n in names[5:-1:2]]; "
          "return Melody(tuple(pitches), tuple(durations), meter, key, Fraction(upbeat))")
SOFTMAX = "return torch.softmax(logits / temperature, dim=-1)"
TOP_P = ("sorted_logits, order = torch.sort(logits, dim=-1, descending=True); probs = torch.softmax(sorted_logits, -1); "
         "before = probs.cumsum(-1) - probs; drop_sorted = before >= p; "
         "drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted); "
         "return logits.masked_fill(drop, float('-inf'))")
BIGRAM = ("counts[a, b] += 1 for each pair of each train sequence; "
          "p = (counts + alpha) / (counts.sum(1, keepdims=True) + alpha * vocab_size); "
          "return np.array([-np.log(p[a, b]) for s in test for a, b in zip(s[:-1], s[1:])])")
STEP = ("logits = model(tokens[:, :-1]); loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), "
        "tokens[:, 1:].reshape(-1), ignore_index=0); optimizer.zero_grad(); loss.backward(); optimizer.step(); "
        "return loss.item()")


def _names(tokens, vocab=_VOCAB):
    try:
        return [vocab.name(int(t)) for t in tokens]
    except Exception:  # the learner returned something that is not token ids
        return tokens


# --- exercise 06 -------------------------------------------------------------------------

def check_melody_to_tokens(melody_to_tokens, *, hidden: bool = False) -> None:
    """``melody_to_tokens(melody, vocab)``: <bos> meter key upbeat (pitch dur)* <eos> as ids."""
    with Checker("melody_to_tokens", melody_to_tokens, hidden=hidden) as c:
        if hidden:
            for label, melody in _HIDDEN_MELODIES.items():
                got = c.call(melody, _VOCAB)
                expected = _VOCAB.encode(melody)
                c.expect(isinstance(got, (list, tuple)) and list(got) == expected, f"encodes {label}", input=melody,
                         expected=_names(expected), got=_names(got) if isinstance(got, (list, tuple)) else got,
                         hint="the same header and note tokens for any meter, key, upbeat and duration.",
                         answer=ENCODE)
            return
        for label, melody in _MELODIES.items():
            got = c.call(melody, _VOCAB)
            c.expect(isinstance(got, (list, tuple)) and all(isinstance(t, (int, np.integer)) for t in got),
                     f"returns a list of token ids ({label})", input=melody, expected="a list of ints",
                     got=type(got).__name__ if not isinstance(got, (list, tuple)) else got,
                     hint="every token is an id the vocabulary gives for a token's name.",
                     answer="look ids up with vocab.index(name), e.g. vocab.index('pitch:C4'): " + ENCODE)
            expected = _VOCAB.encode(melody)
            c.expect(len(got) == len(expected), f"has 2 tokens per note plus 5 ({label})", input=melody,
                     expected=f"{len(expected)} tokens", got=f"{len(got)} tokens: {_names(got)[:8]}...",
                     hint="count: four header tokens, two tokens per note (rests included), one end token.",
                     answer="<bos>, meter, key, upbeat, then a pitch (or rest) and a duration per note, then <eos>.")
            c.expect(list(got[:4]) == expected[:4], f"starts with <bos>, meter, key, upbeat ({label})", input=melody,
                     expected=_names(expected[:4]), got=_names(got[:4]),
                     hint="the header names are the kind, a colon, and the melody's value as text.",
                     answer="names are 'meter:6/8', 'key:G major', 'upbeat:1/2' (str of the Fraction): " + ENCODE)
            c.expect(list(got) == expected, f"spells every note as a pitch token then a duration token ({label})",
                     input=melody, expected=_names(expected), got=_names(got),
                     hint="for each note: first what sounds (or the rest token), then how long, as names in the vocabulary.",
                     answer="a rest is 'rest'; a pitch is 'pitch:' + pitch_name(p); a duration 'dur:' + str(d).")


def check_tokens_to_melody(tokens_to_melody, *, hidden: bool = False) -> None:
    """``tokens_to_melody(tokens, vocab)``: the inverse of ``melody_to_tokens``."""
    with Checker("tokens_to_melody", tokens_to_melody, hidden=hidden) as c:
        if hidden:
            for label, melody in _HIDDEN_MELODIES.items():
                tokens = _VOCAB.encode(melody)
                got = c.call(tokens, _VOCAB)
                c.expect(got == melody, f"decodes {label} exactly", input=_names(tokens), expected=melody, got=got,
                         hint="read the header, then the pairs, with exact fractions, for any meter and upbeat.",
                         answer=DECODE)
            return
        for label, melody in _MELODIES.items():
            tokens = _VOCAB.encode(melody)
            got = c.call(tokens, _VOCAB)
            c.expect(isinstance(got, Melody), f"returns a Melody ({label})", input=_names(tokens)[:6],
                     expected="a Melody", got=type(got).__name__,
                     hint="collect the parts, then build the artlab Melody from them.",
                     answer="return Melody(tuple(pitches), tuple(durations), meter, key, upbeat).")
            c.expect((got.meter, got.key, got.upbeat) == (melody.meter, melody.key, melody.upbeat),
                     f"reads meter, key and upbeat from the header ({label})", input=_names(tokens)[:4],
                     expected=(melody.meter, melody.key, melody.upbeat), got=(got.meter, got.key, got.upbeat),
                     hint="the three tokens after <bos> carry the header as 'kind:value' names.",
                     answer="meter, key, upbeat = (n.split(':', 1)[1] for n in names[1:4]); upbeat = Fraction(upbeat).")
            c.expect(got.pitches == melody.pitches, f"reads pitches and rests ({label})", input=_names(tokens),
                     expected=melody.pitches, got=got.pitches,
                     hint="every other token after the header is a pitch or a rest; the vocabulary can read it.",
                     answer="pitches = [vocab.token_pitch(t) for t in tokens[4:-1:2]] (REST for the rest token).")
            c.expect(got.durations == melody.durations, f"reads durations exactly ({label})", input=_names(tokens),
                     expected=[str(d) for d in melody.durations], got=[str(d) for d in got.durations],
                     hint="durations such as a triplet's 1/3 must come back exactly, not as decimals.",
                     answer="durations = [Fraction(n.split(':', 1)[1]) for n in names[5:-1:2]]: Fraction('1/3') is exact.")
            c.expect(got == melody, f"undoes melody_to_tokens exactly ({label})", input=label, expected=melody, got=got,
                     hint="compare your Melody with the original field by field: what differs?", answer=DECODE)


# --- exercise 07 -------------------------------------------------------------------------

def check_softmax_with_temperature(softmax_with_temperature, *, hidden: bool = False) -> None:
    """``softmax_with_temperature(logits, temperature)`` over the last dimension."""
    with Checker("softmax_with_temperature", softmax_with_temperature, hidden=hidden) as c:
        if hidden:
            z = torch.randn(3, 2, 6, generator=torch.Generator().manual_seed(10)) * 4
            for t in (0.7, 2.5):
                out = c.call(z, t)
                want = torch.softmax(z / t, dim=-1)
                c.expect(isinstance(out, torch.Tensor) and out.shape == z.shape and torch.allclose(out, want, atol=1e-5),
                         f"equals softmax(z / T) over the last dimension of a (3, 2, 6) batch (T = {t})",
                         input=f"random logits (3, 2, 6), T = {t}", expected=want[0, 0], got=out,
                         hint="scale the logits by the temperature, then a softmax along the vocabulary.",
                         answer=SOFTMAX)
            return
        z = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.5, 0.5, 3.0, -2.0]])
        out = c.call(z, 1.0)
        c.expect(isinstance(out, torch.Tensor) and out.shape == z.shape, "keeps the shape (a row per sequence)",
                 input=z, expected=tuple(z.shape), got=getattr(out, "shape", type(out).__name__),
                 hint="return one probability per logit, in a tensor of the same shape.", answer=SOFTMAX)
        c.expect(torch.allclose(out.sum(-1), torch.ones(2), atol=1e-5), "each row sums to 1", input=z,
                 expected=[1.0, 1.0], got=out.sum(-1), hint="normalise over the vocabulary, not over the batch.",
                 answer="normalise over the last dimension (dim=-1): " + SOFTMAX)
        c.expect(torch.allclose(out, torch.softmax(z, -1), atol=1e-5), "temperature 1 is the plain softmax",
                 input=z, expected=torch.softmax(z, -1), got=out, hint="at T = 1 nothing is left but the softmax itself.",
                 answer="p = exp(z / T) / sum(exp(z / T)): " + SOFTMAX)
        hot, cold = c.call(z, 4.0), c.call(z, 0.25)
        c.expect(bool(hot[0].max() < out[0].max() < cold[0].max()),
                 "higher temperature flattens, lower temperature sharpens", input="z, T = 4 / 1 / 0.25",
                 expected="max probability grows as T falls", got=(hot[0].max().item(), out[0].max().item(),
                                                                   cold[0].max().item()),
                 hint="a high temperature must shrink the differences between logits.",
                 answer="divide the logits by T (not multiply): " + SOFTMAX)
        c.expect(torch.equal(cold.argmax(-1), z.argmax(-1)), "keeps the most likely token the most likely",
                 input=z, expected=z.argmax(-1), got=cold.argmax(-1),
                 hint="a positive temperature rescales the logits; it must not reorder them.", answer=SOFTMAX)
        big = torch.tensor([[1000.0, 999.0, 0.0]])
        out = c.call(big, 0.5)
        c.expect(bool(torch.isfinite(out).all()) and abs(out.sum().item() - 1) < 1e-5,
                 "stays finite for large logits (no overflow)", input=big, expected="finite probabilities",
                 got=out, hint="exp(1000 / 0.5) overflows: shift the logits first, or let PyTorch do it.",
                 answer="subtract the row's maximum before exp, or use torch.softmax: " + SOFTMAX)


def _reference_top_p(logits, p):
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    drop_sorted = probs.cumsum(-1) - probs >= p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def check_top_p_filter(top_p_filter, *, hidden: bool = False) -> None:
    """``top_p_filter(logits, p)``: -inf outside the smallest most-likely set with mass >= p."""
    with Checker("top_p_filter", top_p_filter, hidden=hidden) as c:
        if hidden:
            z = torch.randn(4, 10, generator=torch.Generator().manual_seed(11)) * 2
            for p in (0.3, 0.9):
                out = c.call(z, p)
                want = _reference_top_p(z, p)
                same = isinstance(out, torch.Tensor) and out.shape == z.shape and torch.equal(torch.isfinite(out),
                                                                                               torch.isfinite(want))
                c.expect(same and torch.equal(out[torch.isfinite(out)], z[torch.isfinite(want)]),
                         f"keeps each row's smallest most-likely set with mass >= p (4 rows of 10, p = {p})",
                         input=f"random logits (4, 10), p = {p}", expected=torch.isfinite(want).sum(-1).tolist(),
                         got=torch.isfinite(out).sum(-1).tolist() if isinstance(out, torch.Tensor) else out,
                         hint="per row: sort, accumulate probability, keep while the mass before a token is below p, "
                              "then undo the sort.", answer=TOP_P)
            return
        z = torch.log(torch.tensor([[0.5, 0.25, 0.15, 0.07, 0.03]]))
        for p, keep in ((0.5, 1), (0.6, 2), (0.75, 2), (0.8, 3), (0.95, 4), (1.0, 5)):
            out = c.call(z, p)
            c.expect(isinstance(out, torch.Tensor) and out.shape == z.shape, "keeps the shape", input=z,
                     expected=tuple(z.shape), got=getattr(out, "shape", type(out).__name__),
                     hint="return logits of the same shape, with the dropped ones set to -inf.", answer=TOP_P)
            kept = torch.isfinite(out)[0]
            c.expect(int(kept.sum()) == keep, f"keeps the smallest set with mass >= p (p = {p})",
                     input="probabilities [0.5, 0.25, 0.15, 0.07, 0.03]", expected=f"{keep} tokens kept",
                     got=f"{int(kept.sum())} kept: {kept.tolist()}",
                     hint="the token that pushes the mass over p is kept too: look at the mass before each token.",
                     answer="sort, take the cumulative sum, and keep a token while the mass *before* it is < p: " + TOP_P)
            c.expect(bool(kept[:keep].all()), f"keeps the most likely tokens (p = {p})", input=z,
                     expected=[True] * keep + [False] * (5 - keep), got=kept.tolist(),
                     hint="the kept set starts from the most likely token and goes down.", answer=TOP_P)
            c.expect(torch.equal(out[0][kept], z[0][kept]), f"leaves the kept logits unchanged (p = {p})",
                     input=z, expected=z[0][kept], got=out[0][kept], hint="filtering removes tokens; it does not rescale.",
                     answer="only set the others to -inf: logits.masked_fill(drop, float('-inf')).")
        shuffled = z[:, [3, 0, 4, 2, 1]]
        out = c.call(shuffled, 0.8)
        c.expect(torch.isfinite(out)[0].tolist() == [False, True, False, True, True],
                 "works when the logits are not sorted", input=shuffled, expected=[False, True, False, True, True],
                 got=torch.isfinite(out)[0].tolist(), hint="the mask is computed in sorted order but must be applied "
                 "in the original one.",
                 answer="sort a copy, then put the mask back in the original order (scatter, or index with the sort "
                        "order): " + TOP_P)
        rows = torch.stack([z[0], z[0].flip(0)])
        out = c.call(rows, 0.6)
        c.expect(torch.isfinite(out).sum(-1).tolist() == [2, 2] and bool(torch.isfinite(out)[1, -2:].all()),
                 "filters each row of a batch on its own", input=rows, expected="2 kept in each row",
                 got=torch.isfinite(out).tolist(), hint="each row is its own distribution.",
                 answer="sort, softmax and cumsum along dim=-1: " + TOP_P)
        sure = torch.tensor([[10.0, 0.0, 0.0]])
        out = c.call(sure, 0.1)
        c.expect(torch.isfinite(out)[0].tolist() == [True, False, False], "always keeps the single most likely token",
                 input=sure, expected=[True, False, False], got=torch.isfinite(out)[0].tolist(),
                 hint="the first token is always kept, because the mass before it is 0.", answer=TOP_P)


def _reference_bigram(train, test, vocab_size, alpha):
    counts = np.zeros((vocab_size, vocab_size))
    for s in train:
        for a, b in zip(s[:-1], s[1:]):
            counts[a, b] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (counts + alpha) / (counts.sum(1, keepdims=True) + alpha * vocab_size)
        return np.array([-math.log(p[a, b]) if p[a, b] > 0 else math.inf for s in test for a, b in zip(s[:-1], s[1:])])


def check_bigram_nll(bigram_nll, *, hidden: bool = False) -> None:
    """``bigram_nll(train, test, vocab_size, alpha)``: NLL of every test target under an add-alpha bigram."""
    with Checker("bigram_nll", bigram_nll, hidden=hidden) as c:
        if hidden:
            rng = np.random.default_rng(12)
            train = [[1] + rng.integers(3, 8, size=n).tolist() + [2] for n in (5, 9, 3, 7)]
            test = [[1] + rng.integers(3, 8, size=n).tolist() + [2] for n in (4, 6)]
            for alpha in (0.1, 1.0):
                out = c.call(train, test, 8, alpha)
                expected = _reference_bigram(train, test, 8, alpha)
                got = np.asarray(out, dtype=float)
                c.expect(got.shape == expected.shape and np.allclose(got, expected),
                         f"equals the add-alpha bigram NLL on other random melodies (V = 8, alpha = {alpha:g})",
                         input=(train, test), expected=expected, got=got,
                         hint="count pairs in train, smooth every count and every row total, then -log per test pair.",
                         answer=BIGRAM)
            return
        train = [[1, 3, 4, 3, 5, 2], [1, 3, 4, 4, 2], [1, 5, 3, 4, 2]]
        test = [[1, 3, 4, 2], [1, 5, 5, 3, 2]]
        v = 6
        out = c.call(train, test, v, 0.0)
        expected = _reference_bigram(train, test, v, 0.0)
        c.expect(np.asarray(out).shape == expected.shape, "returns one NLL per test target (every token after the first)",
                 input=test, expected=f"{len(expected)} values", got=f"{np.asarray(out).shape}",
                 hint="the first token of a sequence has nothing before it, so it is not predicted.",
                 answer="targets are s[1:], each predicted from the token before it: one NLL per pair "
                        "zip(s[:-1], s[1:]).")
        c.expect(np.allclose(np.asarray(out, dtype=float)[np.isfinite(expected)], expected[np.isfinite(expected)]),
                 "with alpha = 0 it is -log(count(v, w) / count(v))", input=(train, test), expected=expected,
                 got=np.asarray(out), hint="a conditional probability: how often w follows v, out of how often v "
                 "is followed by anything.",
                 answer="count pairs (v, w) in train; p = counts[v, w] / counts[v].sum(); NLL = -log p.")
        out = c.call(train, test, v, 0.5)
        expected = _reference_bigram(train, test, v, 0.5)
        c.expect(np.all(np.isfinite(np.asarray(out, dtype=float))), "with alpha > 0 unseen pairs get a finite NLL",
                 input="test pair (5, 5) never occurs in train", expected="finite values", got=np.asarray(out),
                 hint="smoothing gives every pair, seen or not, some probability.",
                 answer="add alpha to every count, and alpha * V to every row total: " + BIGRAM)
        c.expect(np.allclose(np.asarray(out, dtype=float), expected), "p(w | v) = (c(v,w) + alpha) / (c(v) + alpha V)",
                 input=(train, test, v, 0.5), expected=expected, got=np.asarray(out),
                 hint="alpha goes into both the numerator and the denominator.", answer=BIGRAM)
        every = [[a, b] for a in range(v) for b in range(v)]
        out = np.asarray(c.call(train, every, v, 0.5), dtype=float).reshape(v, v)
        c.expect(np.allclose(np.exp(-out).sum(1), 1.0), "the probabilities after each token sum to 1", input="all pairs",
                 expected=np.ones(v), got=np.exp(-out).sum(1),
                 hint="the denominator must be the sum of all the smoothed counts in the row.",
                 answer="the row total is counts[v].sum() + alpha * V: " + BIGRAM)


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


def check_training_step(training_step, *, hidden: bool = False) -> None:
    """``training_step(model, optimizer, tokens)``: one optimizer step; returns the loss before it (a float)."""
    if hidden:
        with Checker("training_step", training_step, hidden=True) as c:
            torch.manual_seed(1)
            tokens = torch.tensor([[1, 3, 4, 2, 0], [1, 9, 9, 9, 2], [1, 11, 2, 0, 0]])
            model, reference = _TinyComposer(), _TinyComposer()
            reference.load_state_dict(model.state_dict())
            ref_opt = torch.optim.SGD(reference.parameters(), lr=0.3)
            ref_opt.zero_grad()
            ref_loss = _reference_loss(reference, tokens)
            ref_loss.backward()
            ref_opt.step()
            loss = c.call(model, _SGD(model.parameters(), lr=0.3), tokens)
            same = all(torch.allclose(a, b, atol=1e-5) for a, b in zip(model.state_dict().values(),
                                                                       reference.state_dict().values()))
            c.expect(isinstance(loss, float) and abs(loss - ref_loss.item()) < 1e-4 and same,
                     "returns the loss and takes one clean step on another batch (3 melodies, much padding)",
                     input=tokens, expected=round(ref_loss.item(), 5), got=loss,
                     hint="shift by one for the targets, ignore <pad>, zero the gradients, step once, return a float.",
                     answer=STEP)
        return
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
                 expected="a float", got=type(loss).__name__, hint="a tensor is not a Python number.",
                 answer="return loss.item().")
        c.expect(abs(loss - expected) < 1e-4, "the loss is the mean cross-entropy of next tokens, ignoring <pad> (0)",
                 input=tokens, expected=round(expected, 5), got=round(loss, 5),
                 hint="each position predicts the next token; padding is not a target.",
                 answer="logits = model(tokens[:, :-1]); targets = tokens[:, 1:]; "
                 "F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=0).")
        changed = any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
        c.expect(changed, "updates the model's parameters", input="SGD, lr 0.5", expected="changed weights",
                 got="unchanged weights", hint="computing the loss changes nothing until gradients are applied.",
                 answer="call loss.backward() and then optimizer.step().")
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
                 hint="PyTorch adds new gradients to the old ones unless told otherwise.",
                 answer="call optimizer.zero_grad() before loss.backward(), or gradients pile up: " + STEP)
        losses = [c.call(model, optimizer, tokens) for _ in range(5)]
        c.expect(losses[-1] < losses[0], "repeated steps lower the loss on the same batch", input="5 more steps",
                 expected="a falling loss", got=[round(x, 3) for x in losses],
                 hint="gradient descent on one batch must lower that batch's loss; check the sign and the order of "
                      "the calls.", answer=STEP)


# --- exercise 06: where in the bar ----------------------------------------------------------------

def _reference_positions(melody: Melody) -> list[tuple[int, Fraction]]:
    bar, upbeat = melody.bar_length, melody.upbeat
    shift = bar - upbeat if upbeat else Fraction(0)  # the first note's place in the (incomplete) bar 0
    return [(b, (onset + shift) % bar) for b, onset in zip(melody.bar_index(), melody.onsets())]


POSITIONS = ("bar = melody.bar_length; shift = bar - melody.upbeat if melody.upbeat else 0; onset = 0; for d in "
             "melody.durations: t = onset + shift; bar number = int(t // bar) + (0 if melody.upbeat else 1), "
             "position = t % bar (Fractions throughout); onset += d")


def _positions(out) -> list[tuple[int, Fraction]] | None:
    try:
        pairs = [(b, q) for b, q in out]
    except (TypeError, ValueError):
        return None
    if not all(isinstance(b, int) and not isinstance(b, bool) and isinstance(q, (Fraction, int)) for b, q in pairs):
        return None
    return [(b, Fraction(q)) for b, q in pairs]


def check_bar_positions(bar_positions, *, hidden: bool = False) -> None:
    """``bar_positions(melody)``: for each event, (the bar it starts in, numbered as in a score, and
    where in that bar it starts, in quarter notes, as an exact Fraction)."""
    with Checker("bar_positions", bar_positions, hidden=hidden) as c:
        if hidden:
            for label, melody in _HIDDEN_MELODIES.items():
                want = _reference_positions(melody)
                got = _positions(c.call(melody))
                c.expect(got == want, f"places every note of {label}", input=melody, expected=want, got=got,
                         hint="the same rule for every meter and upbeat.", answer=POSITIONS)
            return
        scale = _MELODIES["a scale in 4/4"]
        out = c.call(scale)
        got = _positions(out)
        c.expect(got is not None and len(got) == len(scale),
                 "returns one (bar, position) pair per event, the position as a Fraction",
                 input=scale, expected=f"{len(scale)} pairs such as (1, Fraction(0, 1))", got=out,
                 hint="keep durations as Fractions: adding them gives exact positions; a float would not be exact.",
                 answer=POSITIONS)
        c.expect(got == _reference_positions(scale), "places a 4/4 scale without upbeat: bar 1 at 0, 1, 2, 3",
                 input=scale, expected=_reference_positions(scale), got=got,
                 hint="without an upbeat the first note starts bar 1 on its first beat (position 0).",
                 answer=POSITIONS)
        jig = _MELODIES["a jig with an upbeat and a rest"]
        got = _positions(c.call(jig))
        c.expect(got == _reference_positions(jig),
                 "counts the upbeat as bar 0: a 6/8 jig's eighth-note upbeat starts at 5/2 of bar 0",
                 input=jig, expected=_reference_positions(jig), got=got,
                 hint="an upbeat of u quarters is the end of bar 0: it starts bar_length - u quarters into that bar.",
                 answer=POSITIONS)
        triplets = _MELODIES["triplets in A minor"]
        got = _positions(c.call(triplets))
        c.expect(got == _reference_positions(triplets),
                 "places triplets exactly: the note after three triplet eighths lands on a beat",
                 input=triplets, expected=_reference_positions(triplets), got=got,
                 hint="1/3 has no exact float; sum Fractions, never floats.", answer=POSITIONS)
        from artlab.music.corpus import load_corpus

        tunes = load_corpus().tunes[::40][:250]
        wrong = []
        for tune in tunes:
            melody = tune.melody
            got = _positions(c.call(melody))
            if got != _reference_positions(melody):
                wrong.append(tune.id)
        c.expect(not wrong, f"agrees with the corpus's bar numbers and the meters on {len(tunes)} melodies of "
                 "all four collections", input=f"every 40th tune of load_corpus(), {len(tunes)} in all",
                 expected="every event placed", got=f"{len(wrong)} melodies differ, the first {wrong[:1]}",
                 hint="look at one of them: its meter, its upbeat, its first few durations.", answer=POSITIONS)


# --- exercise 07: a temperature for a chosen entropy -----------------------------------------------

def _entropy(logits: torch.Tensor, temperature: float) -> float:
    p = torch.softmax(logits.double() / temperature, dim=-1)
    return float(-(p * torch.log(p.clamp_min(1e-300))).sum())


ENTROPY = ("H(T) = entropy of softmax(logits / T) rises from log(#ties at the max) as T -> 0 to log V as T -> inf; "
           "if not H(0+) < target < log V: return None; else bisect on log T (lo, hi = 1e-4, 1e4) until "
           "H(T) is within 1e-6 of target")


def check_temperature_for_entropy(temperature_for_entropy, *, hidden: bool = False) -> None:
    """``temperature_for_entropy(logits, entropy)``: the T at which softmax(logits / T) has that entropy
    (in nats), or None when no temperature gives it."""
    with Checker("temperature_for_entropy", temperature_for_entropy, hidden=hidden) as c:
        g = torch.Generator().manual_seed(8 if hidden else 0)
        if hidden:
            logits = torch.randn(160, generator=g) * 4
            for target in (0.3, 2.0, 4.5):
                got = c.call(logits, target)
                ok = isinstance(got, (float, int)) and not isinstance(got, bool) and got > 0
                c.expect(ok and abs(_entropy(logits, float(got)) - target) < 1e-3,
                         f"hits entropy {target} on 160 logits (the size of the melody vocabulary)",
                         input=f"160 random logits, entropy {target}", expected=f"H(T) = {target}",
                         got=f"T = {got}, H(T) = {_entropy(logits, float(got)):.4f}" if ok else got,
                         hint="the same search for any size of vocabulary.", answer=ENTROPY)
            return
        logits = torch.randn(10, generator=g) * 2
        got = c.call(logits, 1.2)
        c.expect(isinstance(got, (float, int)) and not isinstance(got, bool) and got > 0,
                 "returns a temperature, a number > 0", input="10 random logits, entropy 1.2 nats",
                 expected="a float > 0", got=got,
                 hint="return the temperature itself as a float (float(t) if it is a tensor).", answer=ENTROPY)
        c.expect(abs(_entropy(logits, got) - 1.2) < 1e-3, "gives softmax(logits / T) an entropy of 1.2 nats",
                 input="10 random logits, entropy 1.2 nats", expected="H(T) = 1.200",
                 got=f"T = {got:.4f}, H(T) = {_entropy(logits, got):.4f}",
                 hint="the entropy only grows as T grows, so a search that halves an interval of T finds it.",
                 answer=ENTROPY)
        temps = []
        for t in (0.5, 1.0, 2.0):  # lesson 07's temperatures, there and back
            target = _entropy(logits, t)
            temps.append(c.call(logits, target))
        c.expect(all(isinstance(v, (float, int)) and math.isclose(v, t, rel_tol=1e-2) for v, t in zip(temps, (0.5, 1, 2))),
                 "finds lesson 07's temperatures 0.5, 1 and 2 back from their entropies",
                 input="the entropies of softmax(logits / T) for T = 0.5, 1, 2", expected=[0.5, 1.0, 2.0], got=temps,
                 hint="bracket T widely enough: from well below 0.5 to well above 2.", answer=ENTROPY)
        sharp = logits * 100
        got = c.call(sharp, 1.0)
        c.expect(isinstance(got, (float, int)) and not isinstance(got, bool) and got > 0
                 and abs(_entropy(sharp, float(got)) - 1.0) < 1e-3,
                 "works for large logits (a confident model) without overflow",
                 input="the logits times 100, entropy 1.0", expected="H(T) = 1.000",
                 got=got if not isinstance(got, (float, int)) else f"T = {got:.4f}, H(T) = {_entropy(sharp, float(got)):.4f}",
                 hint="let torch.softmax turn logits into probabilities; it subtracts the maximum for you.",
                 answer=ENTROPY)
        high, low = c.call(logits, math.log(10) + 0.01), c.call(logits, -0.5)
        c.expect(high is None and low is None,
                 "returns None for entropies no temperature gives (above log V, or below 0)",
                 input="entropy log 10 + 0.01 and -0.5 for 10 logits", expected=(None, None), got=(high, low),
                 hint="what is the entropy as T grows without bound? As T shrinks to 0?", answer=ENTROPY)

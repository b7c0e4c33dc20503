"""The checks of exercises 06 and 07: right answers pass, stubs are 'not implemented', typical mistakes are named."""
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.music import (check_bar_positions, check_bigram_nll, check_melody_to_tokens,
                                 check_softmax_with_temperature, check_temperature_for_entropy, check_tokens_to_melody,
                                 check_top_p_filter, check_training_step)
from artlab.music.melody import Melody, REST, pitch_name
from artlab.music.ngram import bigram_nll
from artlab.music.sample import softmax_with_temperature, top_p_filter
from artlab.music.train import training_step


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- reference answers (as in solutions/) -------------------------------------------------

def melody_to_tokens(melody, vocab):
    tokens = [vocab.index("<bos>"), vocab.index(f"meter:{melody.meter}"), vocab.index(f"key:{melody.key}"),
              vocab.index(f"upbeat:{melody.upbeat}")]
    for pitch, duration in zip(melody.pitches, melody.durations):
        tokens.append(vocab.index("rest" if pitch == REST else f"pitch:{pitch_name(pitch)}"))
        tokens.append(vocab.index(f"dur:{duration}"))
    return tokens + [vocab.index("<eos>")]


def tokens_to_melody(tokens, vocab):
    names = [vocab.name(t) for t in tokens]
    meter, key, upbeat = (n.split(":", 1)[1] for n in names[1:4])
    pitches, durations = [], []
    for pitch_name_, duration_name in zip(names[4:-1:2], names[5:-1:2]):
        pitches.append(REST if pitch_name_ == "rest" else vocab.token_pitch(vocab.index(pitch_name_)))
        durations.append(Fraction(duration_name.split(":")[1]))
    return Melody(tuple(pitches), tuple(durations), meter, key, Fraction(upbeat))


CASES = [
    (check_melody_to_tokens, melody_to_tokens),
    (check_tokens_to_melody, tokens_to_melody),
    (check_softmax_with_temperature, softmax_with_temperature),
    (check_top_p_filter, top_p_filter),
    (check_bigram_nll, bigram_nll),
    (check_training_step, lambda model, optimizer, tokens: training_step(model, optimizer, tokens, max_grad_norm=None)),
    (check_bar_positions, lambda melody: bar_positions(melody)),
    (check_temperature_for_entropy, lambda logits, entropy: temperature_for_entropy(logits, entropy)),
]


@pytest.mark.parametrize("check, answer", CASES, ids=lambda x: getattr(x, "__name__", "answer"))
def test_reference_answers_pass(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("check", [c for c, _ in CASES], ids=lambda c: c.__name__)
def test_stubs_are_not_implemented_yet(check, capsys):
    check(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1


def fails(check, answer, prop):
    with pytest.raises(CheckFailed, match=f"property failed: {prop}"):
        check(answer)


def test_melody_to_tokens_mistakes():
    fails(check_melody_to_tokens, lambda m, v: melody_to_tokens(m, v)[1:], "has 2 tokens per note plus 5")
    fails(check_melody_to_tokens, lambda m, v: [v.bos, v.index(f"key:{m.key}"), v.index(f"meter:{m.meter}")]
          + melody_to_tokens(m, v)[3:], "starts with <bos>, meter, key, upbeat")
    fails(check_melody_to_tokens, lambda m, v: melody_to_tokens(m, v)[:4] + [t for pair in zip(
        melody_to_tokens(m, v)[5:-1:2], melody_to_tokens(m, v)[4:-1:2]) for t in pair] + [v.eos],
        "spells every note as a pitch token then a duration token")
    fails(check_melody_to_tokens, lambda m, v: np.array(melody_to_tokens(m, v), dtype=float), "returns a list of token ids")


def test_tokens_to_melody_mistakes():
    fails(check_tokens_to_melody, lambda t, v: tokens_to_melody(t, v).pitches, "returns a Melody")
    fails(check_tokens_to_melody, lambda t, v: Melody(tokens_to_melody(t, v).pitches, tokens_to_melody(t, v).durations),
          "reads meter, key and upbeat")
    fails(check_tokens_to_melody, lambda t, v: Melody(tuple(60 if p == REST else p for p in tokens_to_melody(t, v).pitches),
                                                      tokens_to_melody(t, v).durations, *_header(t, v)),
          "reads pitches and rests")


def _header(tokens, vocab):
    m = tokens_to_melody(tokens, vocab)
    return m.meter, m.key, m.upbeat


def test_softmax_mistakes():
    fails(check_softmax_with_temperature, lambda z, t: torch.softmax(z, 0), "each row sums to 1")
    fails(check_softmax_with_temperature, lambda z, t: torch.softmax(z * t, -1), "higher temperature flattens")
    fails(check_softmax_with_temperature, lambda z, t: torch.exp(z / t) / torch.exp(z / t).sum(-1, keepdim=True),
          "stays finite for large logits")
    fails(check_softmax_with_temperature, lambda z, t: torch.softmax(z / t, -1)[0], "keeps the shape")


def naive_top_p(keep_when):
    def answer(z, p):
        probs, order = torch.sort(torch.softmax(z, -1), descending=True)
        cum = torch.cumsum(probs, -1)
        drop = ~keep_when(cum, probs, p)
        mask = torch.zeros_like(drop).scatter(-1, order, drop)
        return z.masked_fill(mask, float("-inf"))
    return answer


def test_top_p_mistakes():
    fails(check_top_p_filter, naive_top_p(lambda cum, probs, p: cum <= p), "keeps the smallest set with mass >= p")
    fails(check_top_p_filter, lambda z, p: z.masked_fill(torch.softmax(z, -1) < (1 - p), float("-inf")),
          "keeps the smallest set")
    unsorted = lambda z, p: z.masked_fill(torch.cumsum(torch.softmax(z, -1), -1) - torch.softmax(z, -1) >= p, float("-inf"))
    fails(check_top_p_filter, unsorted, "works when the logits are not sorted")
    fails(check_top_p_filter, lambda z, p: top_p_filter(z, p).clamp(min=-1e9), "keeps the smallest set")


def test_bigram_mistakes():
    def no_alpha_in_total(train, test, v, alpha):
        counts = np.zeros((v, v))
        for s in train:
            np.add.at(counts, (np.array(s[:-1]), np.array(s[1:])), 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = (counts + alpha) / counts.sum(1, keepdims=True)
            return np.array([-np.log(p[a, b]) for s in test for a, b in zip(s[:-1], s[1:])])
    fails(check_bigram_nll, no_alpha_in_total, "p\\(w \\| v\\)")
    fails(check_bigram_nll, lambda tr, te, v, a: bigram_nll(tr, te, v, a)[1:], "returns one NLL per test target")
    fails(check_bigram_nll, lambda tr, te, v, a: bigram_nll(tr, te, v, a + 1.0), "with alpha = 0")


def test_training_step_mistakes():
    def no_zero_grad(model, optimizer, tokens):
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), ignore_index=0)
        loss.backward()
        optimizer.step()
        return loss.item()

    def with_padding(model, optimizer, tokens):
        optimizer.zero_grad()
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
        return loss.item()

    def no_step(model, optimizer, tokens):
        with torch.no_grad():
            logits = model(tokens[:, :-1])
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), ignore_index=0).item()

    fails(check_training_step, no_zero_grad, "two steps equal two clean SGD steps")
    fails(check_training_step, with_padding, "the loss is the mean cross-entropy of next tokens, ignoring <pad>")
    fails(check_training_step, no_step, "updates the model's parameters")
    fails(check_training_step, lambda m, o, t: torch.tensor(training_step(m, o, t, max_grad_norm=None)), "returns the loss as a Python float")


# --- exercise 06: where in the bar ------------------------------------------------------------

def bar_positions(melody, *, floats=False, ignore_upbeat=False, first_bar_one=False):
    """Right by default; each switch is a typical mistake."""
    bar = melody.bar_length
    start = bar - melody.upbeat if melody.upbeat and not ignore_upbeat else Fraction(0)
    first = 0 if melody.upbeat and not first_bar_one else 1
    out, onset = [], Fraction(0)
    for duration in melody.durations:
        t = start + onset
        position = t % bar
        out.append((first + int(t // bar), float(position) if floats else position))
        onset += duration
    return out


def test_bar_position_mistakes():
    fails(check_bar_positions, lambda m: bar_positions(m, floats=True), "returns one .bar, position. pair")
    fails(check_bar_positions, lambda m: bar_positions(m, ignore_upbeat=True), "counts the upbeat as bar 0")
    fails(check_bar_positions, lambda m: bar_positions(m, first_bar_one=True), "counts the upbeat as bar 0")
    fails(check_bar_positions, lambda m: [(b, p) for b, p in bar_positions(m)][:-1], "returns one .bar, position. pair")


def test_bar_positions_pass_the_hidden_cases(capsys):
    check_bar_positions(bar_positions, hidden=True)
    assert "hidden properties hold" in capsys.readouterr().out


# --- exercise 07: a temperature for an entropy -----------------------------------------------

def temperature_for_entropy(logits, entropy, *, low=1e-4, high=1e4, log_scale=True, check_range=True, steps=200):
    def h(t):
        p = torch.softmax(logits.double() / t, dim=-1)
        return float(-(p * torch.log(p.clamp_min(1e-300))).sum())

    if check_range and not h(low) < entropy < h(high):
        return None
    for _ in range(steps):
        middle = (low * high) ** 0.5 if log_scale else (low + high) / 2
        low, high = (middle, high) if h(middle) < entropy else (low, middle)
    return (low * high) ** 0.5 if log_scale else (low + high) / 2


def test_temperature_for_entropy_mistakes():
    fails(check_temperature_for_entropy, lambda z, e: temperature_for_entropy(z, e, low=0.5, high=3.0),
          "finds lesson 07's temperatures")
    fails(check_temperature_for_entropy, lambda z, e: temperature_for_entropy(z, e, check_range=False),
          "returns None for entropies no temperature gives")
    fails(check_temperature_for_entropy, lambda z, e: temperature_for_entropy(z, e, steps=3),
          "gives softmax.logits / T. an entropy of 1.2 nats")
    fails(check_temperature_for_entropy, lambda z, e: torch.tensor(temperature_for_entropy(z, e) or 1.0),
          "returns a temperature")


def test_temperature_for_entropy_passes_the_hidden_cases(capsys):
    check_temperature_for_entropy(temperature_for_entropy)
    check_temperature_for_entropy(temperature_for_entropy, hidden=True)
    assert capsys.readouterr().out.count("✓") == 2

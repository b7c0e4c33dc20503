"""Sampling melodies from any composer: temperature, top-k, top-p, priming, length in bars. Lesson 07.

A composer gives logits z over the vocabulary for the next token. Three knobs reshape
the distribution before drawing from it:

* **temperature** T: ``p_i = exp(z_i / T) / sum_j exp(z_j / T)``. T = 1 is the model's
  own distribution; T < 1 sharpens it (safer, more repetitive), T > 1 flattens it
  (bolder, more wrong notes); T -> 0 is ``argmax`` (greedy), which :func:`sample_next`
  does exactly for ``temperature=0``.
* **top-k**: keep the k most likely tokens, renormalise.
* **top-p** (nucleus sampling, Holtzman et al. 2020): keep the *smallest* set of most
  likely tokens whose probabilities add up to at least p, renormalise. Unlike top-k it
  keeps few tokens where the model is sure and many where it is not.

:func:`compose` writes whole melodies with them. It follows the token grammar of
:mod:`artlab.music.tokens` (meter, key, upbeat, then pitch/duration pairs) by masking
tokens that would break it, and with ``bars=N`` it masks durations that would overrun
bar N and ``<eos>`` before it, so the melody is exactly N bars long (after its upbeat).
A ``prime`` (a :class:`Melody`, tinyNotation text such as ``"4/4 c4 d e f g2"``, or a
MIDI file) is fed in first and the model continues it. The same ``seed`` gives the same
melody.
"""
from __future__ import annotations

from fractions import Fraction

import torch

from artlab.errors import ArgumentError, probability, real_number, whole_number
from artlab.music.files import as_melody
from artlab.music.melody import TICKS_PER_QUARTER, Melody, bar_length, normalising_shift
from artlab.music.tokens import Grammar, Vocabulary
from artlab.runtime import cpu_threads

__all__ = ["apply_temperature", "softmax_with_temperature", "top_k_filter", "top_p_filter", "sample_next",
           "compose", "compose_many", "continue_motif"]


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """z / T (T > 0)."""
    real_number(temperature, "temperature", low=0.0, low_open=True, hint="Use sample_next(temperature=0) for argmax.")
    return logits / temperature


def softmax_with_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """p_i = exp(z_i / T) / sum_j exp(z_j / T), over the last dimension."""
    return torch.softmax(apply_temperature(logits, temperature), dim=-1)


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Logits with everything outside the ``k`` largest (per row) set to -inf."""
    whole_number(k, "top_k")
    if k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]           # (..., 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Logits outside the smallest most-likely set with probability mass >= p set to -inf."""
    probability(p, "top_p", zero=False)
    if p >= 1:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    mass_before = torch.cumsum(probs, dim=-1) - probs               # mass of the tokens ranked above
    drop_sorted = mass_before >= p                                  # already enough without this one
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def sample_next(logits: torch.Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """One token per row of ``logits`` (B, V) -> ids (B,). ``temperature=0`` is argmax."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    z = apply_temperature(logits.float(), temperature)
    if top_k is not None:
        z = top_k_filter(z, top_k)
    if top_p is not None:
        z = top_p_filter(z, top_p)
    probs = torch.softmax(z, dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


@torch.no_grad()
def compose_many(model: torch.nn.Module, vocab: Vocabulary, n: int, *, bars: int | None = 16,
                 temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                 prime=None, meter: str | None = None, key: str | None = None, seed: int = 0,
                 max_tokens: int = 4096) -> list[Melody]:
    """``n`` melodies sampled together (a batch). See :func:`compose` for the arguments."""
    whole_number(n, "compose_many(n)")
    if bars is not None:
        whole_number(bars, "bars", unit="bars", hint="None composes until the model writes <eos>.")
    if meter is not None and f"meter:{meter}" not in vocab.tokens:
        raise ArgumentError("meter", expected=f"one of {', '.join(vocab.meters)}", got=meter)
    if key is not None and f"key:{key}" not in vocab.tokens:
        raise ArgumentError("key", expected="one of the vocabulary's keys, e.g. 'C major' or 'A minor'", got=key)
    device = next(model.parameters()).device
    with cpu_threads(1 if device.type == "cpu" else None):  # one token at a time: one thread is fastest
        return _compose_many(model, vocab, n, bars=bars, temperature=temperature, top_k=top_k, top_p=top_p,
                             prime=prime, meter=meter, key=key, seed=seed, max_tokens=max_tokens, device=device)


def _compose_many(model, vocab, n, *, bars, temperature, top_k, top_p, prime, meter, key, seed, max_tokens, device):
    model.eval()
    grammar = Grammar(vocab)
    generator = torch.Generator().manual_seed(int(seed))

    # the fixed start: <bos>, then whatever the prime or the arguments decide
    start = [vocab.bos]
    prime_melody = None
    if prime is not None:
        prime_melody = as_melody(prime)
        if key is not None and prime_melody.key != key:
            prime_melody = Melody(prime_melody.pitches, prime_melody.durations, prime_melody.meter, key,
                                  prime_melody.upbeat)
        if meter is not None and prime_melody.meter != meter:
            raise ArgumentError("meter", expected=f"the prime's meter ({prime_melody.meter}) or None", got=meter)
        start = vocab.encode(prime_melody)[:-1]  # without <eos>: the model goes on from here
    forced = {}
    if prime_melody is None:
        if meter is not None:
            forced["meter"] = vocab.index(f"meter:{meter}")
        if key is not None:
            forced["key"] = vocab.index(f"key:{key}")

    sequences = [list(start) for _ in range(n)]
    phase = [Grammar.after(vocab.kind(start[-1]))] * n
    meters = [prime_melody.meter if prime_melody else meter] * n
    elapsed = [int(prime_melody.duration * TICKS_PER_QUARTER) if prime_melody else 0] * n
    target: list[int | None] = [None] * n
    if prime_melody is not None and bars is not None:
        total = prime_melody.upbeat + bars * prime_melody.bar_length
        if prime_melody.duration >= total:
            raise ArgumentError("bars", expected=f"more bars than the prime already fills ({float(prime_melody.bars):g})",
                                got=bars)
        target = [int(total * TICKS_PER_QUARTER)] * n

    # run the start through the model
    state = None
    logits = None
    for t in range(len(start)):
        token = torch.full((n,), start[t], dtype=torch.long, device=device)
        logits, state = model.step(token, state)
    done = [p == "done" for p in phase]
    for _ in range(max_tokens):
        if all(done):
            break
        masks = torch.zeros((n, len(vocab)), dtype=torch.bool)
        for b in range(n):
            if done[b]:
                masks[b, vocab.pad] = True  # finished rows mark time with <pad>
            elif phase[b] in forced:
                masks[b, forced[phase[b]]] = True
            else:
                masks[b] = grammar.mask(phase[b], meter=meters[b],
                                        remaining=None if target[b] is None else target[b] - elapsed[b])
        masked = logits.float().cpu().masked_fill(~masks, float("-inf"))
        nxt = sample_next(masked, temperature=temperature, top_k=top_k, top_p=top_p, generator=generator)
        for b in range(n):
            if done[b]:
                continue
            token = int(nxt[b])
            sequences[b].append(token)
            kind = vocab.kind(token)
            if kind == "meter":
                meters[b] = vocab.name(token).split(":", 1)[1]
            elif kind == "upbeat" and bars is not None:
                upbeat = Fraction(vocab.name(token).split(":", 1)[1])
                target[b] = int((upbeat + bars * bar_length(meters[b])) * TICKS_PER_QUARTER)
            elif kind == "dur":
                elapsed[b] += int(vocab.token_duration(token) * TICKS_PER_QUARTER)
            phase[b] = Grammar.after(kind)
            done[b] = phase[b] == "done"
        logits, state = model.step(nxt.to(device), state)
    return [vocab.decode(s, complete=False) for s in sequences]


def compose(model: torch.nn.Module, vocab: Vocabulary, *, bars: int | None = 16, temperature: float = 1.0,
            top_k: int | None = None, top_p: float | None = None, prime=None, meter: str | None = None,
            key: str | None = None, seed: int = 0, max_tokens: int = 4096) -> Melody:
    """Sample one melody from a composer.

    ``bars``: length in bars after the upbeat (``None``: until the model writes ``<eos>``,
    at most ``max_tokens`` tokens). ``temperature``, ``top_k``, ``top_p``: see the module
    docstring. ``prime``: a Melody, tinyNotation text or a MIDI/MusicXML/ABC file to continue.
    ``meter`` and ``key`` fix the header instead of sampling it (with a prime, ``key``
    replaces the key the prime was read with). ``seed``: the same seed gives the same melody.
    """
    return compose_many(model, vocab, 1, bars=bars, temperature=temperature, top_k=top_k, top_p=top_p,
                        prime=prime, meter=meter, key=key, seed=seed, max_tokens=max_tokens)[0]


def continue_motif(model: torch.nn.Module, vocab: Vocabulary, motif, n: int = 1, **options) -> list[Melody]:
    """``n`` continuations of a motif written in any key, returned in that key.

    The course's composers learned melodies moved to C major or A minor (lesson 06), so the
    motif (a Melody, tinyNotation text or a music file) is moved there by
    :func:`artlab.music.melody.normalising_shift`, continued by :func:`compose_many` with
    ``options`` (``bars``, ``temperature``, ``top_p``, ``seed``, ...), and every result is moved
    back by the same interval.
    """
    written = as_melody(motif)
    shift = normalising_shift(written)
    return [m.transpose(-shift) for m in compose_many(model, vocab, n, prime=written.transpose(shift), **options)]

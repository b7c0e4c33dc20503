"""n-gram baselines: a reference Kneser-Ney written with dictionaries agrees with the vectorised one."""
from collections import Counter, defaultdict

import numpy as np
import pytest

from artlab.errors import ArgumentError
from artlab.music.ngram import KneserNey, bigram_nll, fit_best_kneser_ney, unigram_nll

V = 7
PAD = -1


def random_sequences(n, seed, low=3, high=V):
    # a little structure (the same three motifs everywhere) so that context matters
    motifs = [list(np.random.default_rng(99 + i).integers(low, high, size=4)) for i in range(3)]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        body = []
        for _ in range(rng.integers(1, 4)):
            body += motifs[rng.integers(3)] if rng.random() < 0.6 else list(rng.integers(low, high, size=3))
        out.append([1] + [int(x) for x in body] + [2])
    return out


def discounts(counts):
    n = [sum(1 for c in counts if c == k) for k in (1, 2, 3, 4)]
    if min(n) == 0:
        return (0.5, 1.0, 1.5) if n[0] == 0 else (0.5, 0.75, 0.75)
    y = n[0] / (n[0] + 2 * n[1])
    return tuple(max(0.05, d) for d in (1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]))


def reference_kneser_ney(train, test, order, continuation=True):
    """Textbook interpolated modified Kneser-Ney with dictionaries (slow, obviously right);
    ``continuation=False`` backs off to raw counts instead of continuation counts."""
    grams = {n: Counter() for n in range(1, order + 2)}
    for s in train:
        padded = [PAD] * (order + 1) + s
        for t in range(order + 2, len(padded)):  # targets: every token after <bos>
            for n in range(1, order + 2):
                grams[n][tuple(padded[t - n + 1:t + 1])] += 1
    cont = {n: Counter(g[1:] for g in grams[n + 1]) for n in range(1, order + 1)}

    def tables(counts):
        d = discounts(list(counts.values()))
        total, mass = defaultdict(float), defaultdict(float)
        for g, c in counts.items():
            total[g[:-1]] += c
            mass[g[:-1]] += min(c, d[min(c, 3) - 1])
        return counts, d, total, mass

    raw_t = {n: tables(grams[n]) for n in range(1, order + 1)}
    cont_t = {n: tables(cont[n]) for n in range(1, order + 1)}

    def prob(table, gram, lower):
        counts, d, total, mass = table
        h = gram[:-1]
        if total[h] == 0:
            return lower
        c = counts.get(gram, 0)
        return max(c - d[min(max(c, 1), 3) - 1], 0) / total[h] + mass[h] / total[h] * lower

    out = []
    for s in test:
        padded = [PAD] * (order + 1) + s
        for t in range(order + 2, len(padded)):
            lower = 1.0 / V
            for n in range(1, order + 1):
                gram = tuple(padded[t - n + 1:t + 1])
                top = prob(raw_t[n], gram, lower)
                lower = prob(cont_t[n] if continuation else raw_t[n], gram, lower)
            out.append(-np.log(top))
    return np.array(out)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_vectorised_kneser_ney_equals_the_textbook_version(order):
    train, test = random_sequences(60, 0), random_sequences(15, 1)
    ours = KneserNey(order, V).fit(train).nll(test)
    assert np.allclose(ours, reference_kneser_ney(train, test, order), atol=1e-9)


@pytest.mark.parametrize("order", [2, 3, 5])
def test_raw_count_back_off_equals_the_textbook_version_without_continuation_counts(order):
    train, test = random_sequences(60, 0), random_sequences(15, 1)
    raw = KneserNey(order, V, continuation=False).fit(train).nll(test)
    assert np.allclose(raw, reference_kneser_ney(train, test, order, continuation=False), atol=1e-9)
    assert not np.allclose(raw, KneserNey(order, V).fit(train).nll(test))  # the switch changes something


def test_continuation_counts_count_distinct_left_neighbours():
    # token 5 is frequent but only ever after 4 ("San Francisco"); 6 is rarer but follows two different tokens
    train = [[1, 4, 5, 2]] * 6 + [[1, 6, 2], [1, 4, 6, 2], [1, 3, 2]]
    model = KneserNey(2, V).fit(train)
    raw = KneserNey(2, V, continuation=False).fit(train)
    # after 3, seen before neither 5 nor 6, the back-off decides: continuation counts prefer 6, raw counts 5
    cont_nll, raw_nll = model.nll([[1, 3, 5], [1, 3, 6]]), raw.nll([[1, 3, 5], [1, 3, 6]])
    assert cont_nll[1] > cont_nll[3] and raw_nll[1] < raw_nll[3]


@pytest.mark.parametrize("order", [1, 2, 4, 9])
def test_probabilities_sum_to_one_in_every_context(order):
    model = KneserNey(order, V).fit(random_sequences(50, 2))
    for context in ([1], [1, 3, 4], [1, 5, 5, 5, 5, 5, 6, 3], [1, 6, 6]):  # seen and unseen contexts
        nll = model.nll([context + [w] for w in range(V)])
        last = np.cumsum([len(context)] * V) - 1
        assert np.exp(-nll[last]).sum() == pytest.approx(1.0, abs=1e-9)


def test_longer_orders_copy_repeated_material_and_validation_picks_the_order():
    train = random_sequences(300, 3)
    valid = random_sequences(60, 4)
    by_order = KneserNey(8, V).fit(train).nll_by_order(valid)
    means = [by_order[n].mean() for n in range(1, 9)]
    assert means[2] < means[0]  # context helps on motif-built sequences
    model, result = fit_best_kneser_ney(train, valid, V, max_order=8)
    assert result.best_order == int(np.argmin(means)) + 1 == model.order
    assert result.valid_nll == pytest.approx(means)


def test_unigram_and_bigram_baselines():
    train = [[1, 3, 4, 3, 4, 2]] * 5
    uni = unigram_nll(train, [[1, 3, 2]], V, alpha=0.0)
    assert uni == pytest.approx(-np.log([2 / 5, 1 / 5]))
    bi = bigram_nll(train, [[1, 3, 4, 2]], V, alpha=0.0)
    assert bi == pytest.approx(-np.log([1.0, 1.0, 0.5]))
    smoothed = bigram_nll(train, [[1, 5, 2]], V, alpha=1.0)
    assert np.all(np.isfinite(smoothed))
    assert smoothed[0] == pytest.approx(-np.log(1 / (5 + V)))


def test_bad_arguments():
    with pytest.raises(ArgumentError):
        KneserNey(0, V)
    with pytest.raises(ArgumentError, match="fitted"):
        KneserNey(2, V).nll([[1, 2]])
    with pytest.raises(ArgumentError, match="length >= 2"):
        KneserNey(2, V).fit([[1]])

"""The checks of exercise 08: right answers pass, stubs are 'not implemented', typical mistakes are named."""
import math

import pytest
import torch

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.attention import check_causal_mask, check_positional_encoding, check_relative_attention
from artlab.music.transformer import causal_mask, positional_encoding


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args, **kwargs):
    raise NotImplementedError()


def attention(q, k, v, bias, *, scale=None, dim=-1, fill=float("-inf"), after=False, index="distance",
              bias_after=False, causal=True):
    """Attention with a relative-position bias, right by default; each switch is a typical mistake."""
    T, d = q.shape[-2], q.shape[-1]
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    distance = {"distance": i - j, "query": i.expand(T, T), "key": j.expand(T, T)}[index]
    scores = q @ k.transpose(-2, -1) / (math.sqrt(d) if scale is None else scale)
    if not bias_after:
        scores = scores + bias[distance.clamp(min=0)]
    future = (i - j) < 0
    if causal and not after:
        scores = scores.masked_fill(future, fill)
    weights = torch.softmax(scores, dim=dim)
    if bias_after:
        weights = weights + bias[distance.clamp(min=0)]
    if causal and after:
        weights = weights * ~future
    return weights @ v


def relative_attention_with_a_mask(q, k, v, bias):
    """The way the solution might write it with artlab's causal mask."""
    T = q.shape[-2]
    distance = torch.arange(T)[:, None] - torch.arange(T)[None, :]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + bias[distance.clamp(min=0)]
    return torch.softmax(scores.masked_fill(~causal_mask(T), float("-inf")), dim=-1) @ v


CASES = [
    (check_causal_mask, causal_mask),
    (check_relative_attention, attention),
    (check_positional_encoding, positional_encoding),
    # the solutions' versions, written the way a learner would
    (check_causal_mask, lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool))),
    (check_relative_attention, relative_attention_with_a_mask),
]


@pytest.mark.parametrize("check, answer", CASES)
def test_reference_answers_pass(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("check", [check_causal_mask, check_relative_attention, check_positional_encoding])
def test_stubs_are_not_implemented_yet(check, capsys):
    check(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1


def fails(check, answer, prop, hint=None):
    with pytest.raises(CheckFailed) as error:
        check(answer)
    assert prop in str(error.value), str(error.value)
    if hint is not None:
        assert hint in str(error.value), str(error.value)


# --- the causal mask ----------------------------------------------------------------------

def test_mask_off_by_one_hides_the_diagonal():
    fails(check_causal_mask, lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1),
          "every position may look at itself", "t itself included")


def test_mask_transposed_looks_ahead():
    fails(check_causal_mask, lambda T: torch.triu(torch.ones(T, T, dtype=torch.bool)), "no position looks ahead")


def test_mask_inverted_says_where_not_to_look():
    fails(check_causal_mask, lambda T: torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1),
          "every position may look at itself")


def test_mask_of_floats_is_refused():
    fails(check_causal_mask, lambda T: torch.tril(torch.ones(T, T)), "holds booleans")


def test_mask_with_a_window_hides_the_past():
    fails(check_causal_mask, lambda T: causal_mask(T, 3), "sees all of its past")


# --- attention ------------------------------------------------------------------------------

def test_attention_without_the_square_root_is_named():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, scale=1.0),
          "with bias 0 it is lesson 08's causal attention", "the scores are not scaled")


def test_attention_divided_by_d_fails():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, scale=q.shape[-1]),
          "with bias 0 it is lesson 08's causal attention")


def test_softmax_over_the_queries_is_named():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, dim=-2),
          "each query's weights sum to 1 over the keys")


def test_no_mask_lets_the_future_in():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, causal=False),
          "with bias 0 it is lesson 08's causal attention")


def test_mask_applied_after_the_softmax_leaves_rows_unnormalised():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, after=True),
          "each query's weights sum to 1 over the keys")


def test_mask_filled_with_a_finite_number_leaks_the_future():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, fill=-10.0),
          "with bias 0 it is lesson 08's causal attention")


@pytest.mark.parametrize("index", ["query", "key"])
def test_the_bias_indexed_by_position_instead_of_distance_is_named(index):
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, index=index),
          "adds bias[i - j] to the score of query i for key j")


def test_the_bias_added_to_the_weights_is_named():
    fails(check_relative_attention, lambda q, k, v, b: attention(q, k, v, b, bias_after=True),
          "each query's weights sum to 1 over the keys")


def test_transposing_the_wrong_dimensions_breaks_batches_of_heads():
    def transposed(q, k, v, bias):                # right for (B, T, d), wrong for (B, h, T, d)
        T = q.shape[-2]
        distance = torch.arange(T)[:, None] - torch.arange(T)[None, :]
        scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]) + bias[distance.clamp(min=0)]
        return torch.softmax(scores.masked_fill(distance < 0, float("-inf")), dim=-1) @ v
    fails(check_relative_attention, transposed, "raised")


def test_the_reference_passes_the_hidden_cases(capsys):
    check_relative_attention(attention, hidden=True)
    assert "hidden properties hold" in capsys.readouterr().out


# --- positional encodings -------------------------------------------------------------------

def pe(T, d, *, swap=False, rate=2, base=10000.0):
    pos = torch.arange(T, dtype=torch.float64)[:, None]
    angle = pos / base ** (torch.arange(0, d, 2, dtype=torch.float64) * rate / 2 / d)
    out = torch.empty(T, d, dtype=torch.float64)
    first, second = (torch.cos, torch.sin) if swap else (torch.sin, torch.cos)
    out[:, 0::2], out[:, 1::2] = first(angle), second(angle)
    return out.float()


def test_sin_and_cos_swapped_is_named():
    fails(check_positional_encoding, lambda T, d: pe(T, d, swap=True), "position 0 is (sin 0, cos 0",
          "sin and cos are swapped")


def test_exponent_counting_every_column_is_named():
    fails(check_positional_encoding, lambda T, d: pe(T, d, rate=1), "every entry follows the formula",
          "the exponent counts pairs of columns")


def test_other_base_fails():
    fails(check_positional_encoding, lambda T, d: pe(T, d, base=100.0), "every entry follows the formula")


def test_transposed_table_fails():
    fails(check_positional_encoding, lambda T, d: pe(T, d).T.contiguous() if T != d else pe(T, d),
          "is a (T, d) tensor")


def test_sin_and_cos_side_by_side_instead_of_interleaved_fails():
    def halves(T, d):
        table = pe(T, d)
        return torch.cat([table[:, 0::2], table[:, 1::2]], dim=1)
    fails(check_positional_encoding, halves, "position 0 is (sin 0, cos 0")

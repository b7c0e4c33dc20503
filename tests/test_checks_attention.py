"""The checks of exercise 08: right answers pass, stubs are 'not implemented', typical mistakes are named."""
import math

import pytest
import torch

from artlab.checks import NOT_IMPLEMENTED, CheckFailed, reset_hints
from artlab.checks.attention import check_causal_mask, check_positional_encoding, check_scaled_dot_product_attention
from artlab.music.transformer import causal_mask, positional_encoding, scaled_dot_product_attention


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


def stub(*args, **kwargs):
    raise NotImplementedError()


CASES = [
    (check_causal_mask, causal_mask),
    (check_scaled_dot_product_attention, scaled_dot_product_attention),
    (check_positional_encoding, positional_encoding),
    # the solutions' versions, written the way a learner would
    (check_causal_mask, lambda T: torch.tril(torch.ones(T, T, dtype=torch.bool))),
    (check_scaled_dot_product_attention, lambda q, k, v, mask=None: torch.softmax(
        (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(
            ~mask if mask is not None else torch.zeros((), dtype=torch.bool), float("-inf")), dim=-1) @ v),
]


@pytest.mark.parametrize("check, answer", CASES)
def test_reference_answers_pass(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("check", [check_causal_mask, check_scaled_dot_product_attention, check_positional_encoding])
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

def attention(q, k, v, mask=None, *, scale=None, dim=-1, fill=float("-inf"), after=False):
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / (math.sqrt(d) if scale is None else scale)
    if mask is not None and not after:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=dim)
    if mask is not None and after:
        weights = weights * mask
    return weights @ v


def test_attention_without_the_square_root_is_named():
    fails(check_scaled_dot_product_attention, lambda q, k, v, mask=None: attention(q, k, v, mask, scale=1.0),
          "equals softmax(Q Kᵀ / √d) V without a mask", "the scores are not scaled")


def test_attention_divided_by_d_fails():
    fails(check_scaled_dot_product_attention,
          lambda q, k, v, mask=None: attention(q, k, v, mask, scale=q.shape[-1]), "equals softmax(Q Kᵀ / √d) V")


def test_softmax_over_the_queries_is_named():
    fails(check_scaled_dot_product_attention, lambda q, k, v, mask=None: attention(q, k, v, mask, dim=-2),
          "each query's weights sum to 1 over the keys")


def test_mask_inverted_in_attention():
    fails(check_scaled_dot_product_attention, lambda q, k, v, mask=None: attention(q, k, v, None if mask is None else ~mask),
          "masked keys get exactly zero weight")


def test_mask_ignored():
    fails(check_scaled_dot_product_attention, lambda q, k, v, mask=None: attention(q, k, v),
          "masked keys get exactly zero weight")


def test_mask_applied_after_the_softmax_leaves_rows_unnormalised():
    fails(check_scaled_dot_product_attention, lambda q, k, v, mask=None: attention(q, k, v, mask, after=True),
          "the first position sees only itself")


def test_mask_filled_with_a_finite_number_leaks_the_future():
    fails(check_scaled_dot_product_attention, lambda q, k, v, mask=None: attention(q, k, v, mask, fill=-10.0),
          "masked keys get exactly zero weight")


def test_transposing_the_wrong_dimensions_breaks_batches_of_heads():
    def transposed(q, k, v, mask=None):                # right for (B, T, d), wrong for (B, h, T, d)
        scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=-1) @ v
    fails(check_scaled_dot_product_attention, transposed, "raised")


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

import pytest
import torch

from artlab.checks import NOT_IMPLEMENTED, Checker, CheckFailed
from artlab.checks.welcome import check_from_tanh_range, check_to_tanh_range


def stub(*args):
    raise NotImplementedError()


def check_double(double):
    with Checker("double", double) as c:
        x = torch.tensor([1.0, -2.0])
        out = c.call(x)
        c.expect(torch.equal(out, 2 * x), "doubles every entry", input=x, expected=2 * x, got=out,
                 hint="multiply by 2")


def test_a_passing_function_gets_a_tick_and_the_properties(capsys):
    check_double(lambda x: x * 2)
    assert capsys.readouterr().out.startswith("✓ double: all 1 properties hold\n    - doubles every entry")


def test_a_stub_gets_one_line_saying_not_implemented(capsys):
    check_double(stub)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1


def test_a_wrong_answer_names_property_input_expected_got_and_hint():
    with pytest.raises(CheckFailed) as failure:
        check_double(lambda x: x + 2)
    text = str(failure.value)
    assert "property failed: doubles every entry" in text
    assert "input:    tensor [1.0, -2.0]" in text
    assert "expected: tensor [2.0, -4.0]" in text
    assert "got:      tensor [3.0, 0.0]" in text
    assert "hint:     multiply by 2" in text
    assert failure.value._render_traceback_() == text.splitlines()


def test_a_crashing_answer_is_reported_with_its_input():
    with pytest.raises(CheckFailed, match=r"raised TypeError: boom\n  input:    double\(tensor"):
        check_double(lambda x: (_ for _ in ()).throw(TypeError("boom")))


def test_the_learner_cannot_change_the_checks_inputs():
    def sneaky(x):
        x.fill_(0.5)  # writes into its argument, then answers correctly for the original
        return torch.tensor([2.0, -4.0])
    check_double(sneaky)


def test_passing_a_result_instead_of_a_function_is_explained():
    with pytest.raises(CheckFailed, match="pass the function itself"):
        check_double(3)


WRONG_TO_TANH = {
    "returns a floating-point tensor": lambda p: (p // 128).to(torch.int64) * 2 - 1,
    "0 maps to -1 and 255 maps to 1": lambda p: p.float() / 255,
    "is linear": lambda p: (p.float() / 255) ** 2 * 2 - 1,
    "keeps the shape": lambda p: (p.float() / 127.5 - 1).flatten(),
}


@pytest.mark.parametrize("prop", WRONG_TO_TANH)
def test_each_property_of_to_tanh_range_catches_a_typical_mistake(prop):
    with pytest.raises(CheckFailed, match=f"property failed: {prop}"):
        check_to_tanh_range(WRONG_TO_TANH[prop])


WRONG_FROM_TANH = {
    "returns a uint8 tensor": lambda x: (x + 1) * 127.5,
    "undoes to_tanh_range exactly": lambda x: ((x + 1) * 127.5).to(torch.uint8),
    "clamps values outside": lambda x: ((x + 1) * 127.5).round().to(torch.int16).to(torch.uint8),
}


@pytest.mark.parametrize("prop", WRONG_FROM_TANH)
def test_each_property_of_from_tanh_range_catches_a_typical_mistake(prop):
    with pytest.raises(CheckFailed, match=f"property failed: {prop}"):
        check_from_tanh_range(WRONG_FROM_TANH[prop])


def test_the_reference_answers_pass(capsys):
    check_to_tanh_range(lambda p: p.float() / 127.5 - 1)
    check_from_tanh_range(lambda x: ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8))
    assert capsys.readouterr().out.count("✓") == 2

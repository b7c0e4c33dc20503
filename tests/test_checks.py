import ast
import importlib
import inspect

import pytest
import torch

from artlab.checks import (ANSWER_AFTER, NOT_IMPLEMENTED, CheckFailed, Checker, NotImplementedYet, hint,
                           reset_hints)
from artlab.checks.welcome import check_from_tanh_range, check_to_tanh_range
from artlab.errors import ArgumentError
from conftest import ROOT


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts a fresh session: no failure counted, no hint level asked for."""
    reset_hints()


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


# --- graduated hints ---------------------------------------------------------------------------

def check_halve(halve, *, hidden=False):
    with Checker("halve", halve, hidden=hidden) as c:
        x = torch.tensor([3.0, -8.0]) if hidden else torch.tensor([2.0, 4.0])
        out = c.call(x)
        c.expect(torch.equal(out, x / 2), "halves every entry", input=x, expected=x / 2, got=out,
                 hint="every entry shrinks by the same factor", answer="return x / 2")


def failure_text(check, function):
    with pytest.raises(CheckFailed) as failure:
        check(function)
    return str(failure.value)


def test_the_first_failure_points_the_way_without_the_answer():
    text = failure_text(check_halve, lambda x: x - 1)
    assert "property failed: halves every entry" in text and "input:    tensor [2.0, 4.0]" in text
    assert "hint:     every entry shrinks by the same factor" in text
    assert "return x / 2" not in text
    assert "hint('halve', level=2)" in text


def test_the_answer_appears_from_the_third_failure_of_the_same_check():
    texts = [failure_text(check_halve, lambda x: x - 1) for _ in range(ANSWER_AFTER)]
    assert ANSWER_AFTER == 3
    assert all("return x / 2" not in t for t in texts[:-1])
    assert "answer:   return x / 2" in texts[-1]


def test_failures_of_other_checks_do_not_count():
    for _ in range(ANSWER_AFTER):
        with pytest.raises(CheckFailed):
            check_double(lambda x: x + 2)
    assert "return x / 2" not in failure_text(check_halve, lambda x: x - 1)


def test_asking_for_level_2_shows_the_answer_now_and_at_the_next_failure(capsys):
    failure_text(check_halve, lambda x: x - 1)
    hint("halve", level=2)
    shown = capsys.readouterr().out
    assert "property failed: halves every entry" in shown and "answer:   return x / 2" in shown
    assert "answer:   return x / 2" in failure_text(check_halve, lambda x: x * 3)


def test_hint_without_a_name_explains_the_last_failure_and_level_1_keeps_the_answer_back(capsys):
    failure_text(check_halve, lambda x: x - 1)
    with pytest.raises(CheckFailed):
        check_double(lambda x: x + 2)
    hint(level=1)
    shown = capsys.readouterr().out
    assert "double: property failed" in shown and "multiply by 2" in shown and "answer:" not in shown
    hint()
    assert "answer:" not in capsys.readouterr().out  # check_double gives no answer line


def test_hint_refuses_unclear_requests():
    with pytest.raises(ArgumentError, match="no failure yet"):
        hint()
    failure_text(check_halve, lambda x: x - 1)
    with pytest.raises(ArgumentError, match="'halve'"):
        hint("halv")
    with pytest.raises(ArgumentError, match="1 .* or 2"):
        hint("halve", level=3)


def test_reset_hints_starts_a_fresh_session():
    for _ in range(ANSWER_AFTER):
        failure_text(check_halve, lambda x: x - 1)
    reset_hints()
    assert "return x / 2" not in failure_text(check_halve, lambda x: x - 1)


# --- hidden cases and nbgrader ------------------------------------------------------------------

def test_hidden_cases_say_so_when_they_pass_and_when_they_fail(capsys):
    check_halve(lambda x: x / 2, hidden=True)
    assert capsys.readouterr().out.startswith("✓ halve: all 1 hidden properties hold")
    memorised = {(2.0, 4.0): torch.tensor([1.0, 2.0])}
    text = failure_text(lambda f: check_halve(f, hidden=True), lambda x: memorised[tuple(x.tolist())])
    assert "raised KeyError" in text
    with pytest.raises(CheckFailed, match=r"property failed \(hidden test\): halves every entry"):
        check_halve(lambda x: x * 0 + torch.tensor([1.0, 2.0]), hidden=True)


def test_a_stub_prints_one_line_normally_and_fails_under_nbgrader(monkeypatch, capsys):
    check_halve(stub)
    assert NOT_IMPLEMENTED in capsys.readouterr().out
    for mode in ("autograde", "validate"):
        monkeypatch.setenv("NBGRADER_EXECUTION", mode)
        with pytest.raises(NotImplementedYet, match=NOT_IMPLEMENTED):
            check_halve(stub)
        with pytest.raises(CheckFailed):  # NotImplementedYet is a CheckFailed: the cell scores 0
            check_halve(stub, hidden=True)
    assert capsys.readouterr().out == ""


# --- every check in the course ------------------------------------------------------------------

CHECK_MODULES = sorted(p for p in (ROOT / "artlab" / "checks").glob("*.py") if p.name != "__init__.py")


def _expect_calls(path):
    tree = ast.parse(path.read_text())
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "expect"]


@pytest.mark.parametrize("path", CHECK_MODULES, ids=lambda p: p.name)
def test_every_property_has_a_level_1_hint_and_a_level_2_answer(path):
    calls = _expect_calls(path)
    assert calls
    for call in calls:
        given = {k.arg: k.value for k in call.keywords}
        for level in ("hint", "answer"):
            assert level in given, f"{path.name}, line {call.lineno}: expect(...) without {level}="
            value = given[level]
            assert not (isinstance(value, ast.Constant) and not value.value), f"line {call.lineno}: empty {level}"
        if isinstance(given["hint"], ast.Constant) and isinstance(given["answer"], ast.Constant):
            assert given["hint"].value != given["answer"].value, f"line {call.lineno}: the hint is the answer"


def _all_checks():
    checks = []
    for path in CHECK_MODULES:
        module = importlib.import_module(f"artlab.checks.{path.stem}")
        checks += [getattr(module, name) for name in module.__all__]
    return checks


@pytest.mark.parametrize("check", _all_checks(), ids=lambda c: c.__name__)
def test_every_check_takes_hidden_and_reports_a_stub_there_too(check, capsys):
    assert inspect.signature(check).parameters["hidden"].kind is inspect.Parameter.KEYWORD_ONLY
    check(stub, hidden=True)
    out = capsys.readouterr().out
    assert NOT_IMPLEMENTED in out and out.count("\n") == 1


def test_hidden_cases_catch_an_answer_that_memorised_the_visible_ones():
    from artlab.checks.artwork import _STEPS, check_step_share

    memorised = {melody: expected for melody, expected in _STEPS.values()}
    check_step_share(lambda melody: memorised.get(melody, 1.0))  # passes what the learner sees
    with pytest.raises(CheckFailed, match=r"\(hidden test\)"):
        check_step_share(lambda melody: memorised.get(melody, 1.0), hidden=True)

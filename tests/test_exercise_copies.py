"""No exercise answer is a copy of a lesson cell.

An exercise that can be answered by copying lines out of the lesson teaches transcription. Every
solution block (the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in
``solutions/``) is compared with every code cell of every lesson in ``notebooks/``, line by line,
after normalising what a copy may change without thinking: whitespace, comments, and the names of
variables (each name that is not an attribute, a keyword or a built-in becomes ``_``). A block is a
copy when :data:`COPIED_SHARE` or more of its lines appear, in order, in one lesson cell; a
one-line block is a copy when that line appears verbatim (up to whitespace) in a lesson cell.
"""
from __future__ import annotations

import builtins
import difflib
import io
import json
import keyword
import textwrap
import tokenize

import pytest

from artlab.course import BEGIN, END
from conftest import ROOT

COPIED_SHARE = 0.6
KEEP = set(keyword.kwlist) | set(dir(builtins))


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def solution_blocks(notebook: dict) -> list[str]:
    """The code between the solution markers, one string per block, dedented."""
    blocks, current = [], None
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        for line in _source(cell).split("\n"):
            if line.strip() == BEGIN:
                current = []
            elif line.strip() == END:
                blocks.append(textwrap.dedent("\n".join(current)))
                current = None
            elif current is not None:
                current.append(line)
    return blocks


def normalised_lines(code: str, *, rename: bool = True) -> list[str]:
    """Logical lines of ``code`` without comments or blank lines, tokens joined by one space; with
    ``rename``, every name that is not an attribute, keyword or built-in becomes ``_``."""
    code = textwrap.dedent(code)
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]  # IPython magics
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [" ".join(line.split()) for line in lines if line.strip() and not line.strip().startswith("#")]
    out, current, previous = [], [], None
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
    for token in tokens:
        if token.type in skip:
            continue
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if current:
                out.append(" ".join(current))
            current = []
            continue
        text = token.string
        if (rename and token.type == tokenize.NAME and text not in KEEP
                and not (previous is not None and previous.string == ".")):
            text = "_"
        current.append(text)
        previous = token
    return out


def copied_share(block: str, cell: str) -> float:
    """The share of the block's normalised lines that appear, in order, in the cell's."""
    mine, theirs = normalised_lines(block), normalised_lines(cell)
    if not mine:
        return 0.0
    matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
    return sum(match.size for match in matcher.get_matching_blocks()) / len(mine)


def is_copy(block: str, cell: str) -> bool:
    lines = normalised_lines(block, rename=False)
    if len(lines) <= 1:
        return bool(lines) and lines[0] in normalised_lines(cell, rename=False)
    return copied_share(block, cell) >= COPIED_SHARE


LESSON_CELLS = [(path.name, index, _source(cell))
                for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
                for index, cell in enumerate(json.loads(path.read_text())["cells"]) if cell["cell_type"] == "code"]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_no_solution_block_copies_a_lesson_cell(path):
    blocks = solution_blocks(json.loads(path.read_text()))
    assert blocks, "a solution notebook without solution blocks"
    copies = [(number, lesson, index, round(copied_share(block, cell), 2))
              for number, block in enumerate(blocks)
              for lesson, index, cell in LESSON_CELLS if is_copy(block, cell)]
    assert not copies, (f"{path.name}: solution block(s) copy lesson cells (block, lesson, code cell, share of "
                        f"lines): {copies}. Make the exercise ask for something the lesson does not write out.")


# --- the comparison itself can fail --------------------------------------------------------------

LESSON = '''
def one_step_by_hand():
    # discriminator step
    x_real = data.sample(batch_size)  # (B, 2)
    z = torch.randn(batch_size, 2)
    with torch.no_grad():
        x_fake = generator(z)  # (B, 2), no graph through G
    loss_d = discriminator_loss(discriminator(x_real), discriminator(x_fake))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
'''


def test_a_copy_with_other_names_and_spacing_is_caught():
    renamed = '''
with torch.no_grad():
    fake = generator(noise)   # renamed, re-spaced, re-commented
loss = discriminator_loss(discriminator(real),discriminator(fake))
optimizer.zero_grad()
loss.backward()
optimizer.step()
'''
    assert copied_share(renamed, LESSON) == 1.0 and is_copy(renamed, LESSON)


def test_the_same_scaffold_with_a_new_idea_in_it_is_not_a_copy():
    with_penalty = '''
with torch.no_grad():
    x_fake = generator(z)
x_real = x_real.detach().requires_grad_(True)
logits_real = discriminator(x_real)
(grad_x,) = torch.autograd.grad(logits_real.sum(), x_real, create_graph=True)
penalty = grad_x.pow(2).sum(dim=1).mean()
loss = F.softplus(-logits_real).mean() + F.softplus(discriminator(x_fake)).mean() + gamma / 2 * penalty
optimizer.zero_grad()
loss.backward()
optimizer.step()
return loss.item()
'''
    assert copied_share(with_penalty, LESSON) < COPIED_SHARE and not is_copy(with_penalty, LESSON)


def test_a_one_line_answer_is_a_copy_only_when_the_line_itself_is_there():
    assert is_copy("loss_d.backward()", LESSON)
    assert not is_copy("return loss_d.item()", LESSON)
    assert not is_copy("  ", LESSON)


def test_solution_blocks_are_read_between_the_markers():
    notebook = {"cells": [{"cell_type": "code", "source": "def f(x):\n    ### BEGIN SOLUTION\n    return x\n"
                                                             "    ### END SOLUTION\n"},
                          {"cell_type": "markdown", "source": "### BEGIN SOLUTION\ntext\n### END SOLUTION"}]}
    assert solution_blocks(notebook) == ["return x"]

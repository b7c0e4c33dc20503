"""The lessons' widgets proven in a real browser: chromium, JupyterLab from `make lab`, the mouse.

For each lesson in :data:`LESSONS`: open it in a fresh workspace, Run All, wait until the
kernel is idle, assert that no cell has an error output and that every code cell ran;
then drag the first slider of the lesson's panel with the mouse (press, move, release)
and assert that the picture (or notation) it shows changed. A screenshot of the panel is
saved to ``outputs/browser/<lesson>.png``. Nothing is saved: the last test checks that
the checkout is exactly as before. Run with `make test-browser`.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

import pytest

from .conftest import ROOT, SCREENSHOTS, git_status, notebooks_folder

LESSON_TIMEOUT_S = float(os.environ.get("ARTLAB_BROWSER_TIMEOUT", "900"))  # Run All, fast mode, busy CPU
CHANGE_TIMEOUT_S = 120  # one repaint, or one press of "compose"
NEWS_PROMPT = "Would you like to get notified about official Jupyter news?"


@dataclass(frozen=True)
class Lesson:
    """A lesson to run in the browser and the panel to drag in it."""
    notebook: str           # file name under notebooks/
    panel_cell: str         # text from the code cell that displays the panel (its first match is used)
    press: str | None = None  # a button of the panel to press after the drag, if only that redraws
    sharp: bool = False     # its picture has at least 2 image pixels per CSS pixel (HiDPI screens)


# One line per lesson; the panel is the widget the cell displays.
LESSONS = [
    Lesson("02_gan_training_loop.ipynb", panel_cell="replay_toy(runs", sharp=True),
    Lesson("03_painting_with_dcgan.ipynb", panel_cell="panel = latent_sliders("),
    Lesson("07_composing_with_lstm.ipynb", panel_cell="panel = ComposePanel(", press="compose"),
    Lesson("10_painting_by_denoising.ipynb", panel_cell="panel = GuidancePanel("),
]

# JupyterLab's notebook panel, exposed by --LabApp.expose_app_in_browser (see conftest.py).
PANEL = "window.jupyterapp.shell.currentWidget"

READY = f"""() => {{
  const w = window.jupyterapp && {PANEL};
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(w && w.context && w.context.isReady && kernel && kernel.status === 'idle');
}}"""

# What the learner sees: how many cells show [*] (queued or running); and the kernel's state.
ACTIVITY = f"""() => {{
  const w = {PANEL};
  const prompts = Array.from(w.node.querySelectorAll('.jp-InputArea-prompt'));
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return {{running: prompts.filter(p => p.textContent.includes('*')).length,
           counted: prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length,
           kernel: kernel ? kernel.status : 'none'}};
}}"""

NOTEBOOK = f"() => ({{path: {PANEL}.context.path, notebook: {PANEL}.context.model.toJSON()}})"

# A fingerprint of everything an output area shows: the bytes behind each <img> (widget
# images are blob: URLs) and each inline <svg>; plus each image's pixel and CSS widths.
SHOWN = """async (area) => {
  const hex = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
      .map(b => b.toString(16).padStart(2, '0')).join('');
  const parts = [], sizes = [];
  for (const img of area.querySelectorAll('img')) {
    const bytes = img.src.startsWith('blob:') ? await (await fetch(img.src)).arrayBuffer()
                                              : new TextEncoder().encode(img.src);
    parts.push('img ' + await hex(bytes));
    sizes.push([img.naturalWidth, img.getBoundingClientRect().width]);
  }
  for (const svg of area.querySelectorAll('svg')) parts.push('svg ' + await hex(new TextEncoder().encode(svg.outerHTML)));
  return {parts, sizes};
}"""


def open_in_fresh_workspace(browser, lab, notebook: str, workspace: str):
    page = browser.new_page()
    page.goto(lab.page_url(notebook, workspace))
    page.wait_for_function(READY, timeout=180_000)
    assert page.evaluate(NOTEBOOK)["path"] == notebook
    return page


def run_all(page, timeout_s: float) -> None:
    """Run > Run All Cells, then wait until no cell shows [*] and the kernel stays idle."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator("li[data-command='runmenu:run-all']").click()
    deadline, quiet, started = time.monotonic() + timeout_s, 0, False
    while quiet < 3:  # idle with nothing queued at three polls in a row
        if time.monotonic() > deadline:
            pytest.fail(f"Run All had not finished after {timeout_s:.0f} s: {page.evaluate(ACTIVITY)}")
        activity = page.evaluate(ACTIVITY)
        started = started or activity["running"] > 0 or activity["counted"] > 0
        quiet = quiet + 1 if started and activity["running"] == 0 and activity["kernel"] == "idle" else 0
        time.sleep(1)


def problems(notebook: dict) -> tuple[list[str], list[int]]:
    """The error outputs (``cell i: Name: value``) and the code cells that did not run."""
    errors, not_run = [], []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        if cell.get("execution_count") is None:
            not_run.append(index)
        errors += [f"cell {index}: {o['ename']}: {o['evalue']}" for o in cell["outputs"]
                   if o["output_type"] == "error"]
    return errors, not_run


def code_cell_index(notebook: dict, text: str) -> int:
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code" and text in "".join(cell["source"]):
            return index
    raise AssertionError(f"no code cell contains {text!r}")


def drag_first_slider(page, area) -> tuple[str, str]:
    """Drag the first slider's handle with the mouse, a quarter of the track or more; (readout before, after)."""
    slider = area.locator(".widget-slider").first
    slider.wait_for(state="visible", timeout=60_000)
    handle, track = slider.locator(".noUi-handle").first, slider.locator(".noUi-base").first
    readout = slider.locator(".widget-readout").first
    handle.scroll_into_view_if_needed()
    before = readout.inner_text()
    box, rail = handle.bounding_box(), track.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    target = rail["x"] + rail["width"] * (0.25 if x > rail["x"] + rail["width"] / 2 else 0.75)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(target, y, steps=15)
    page.mouse.up()
    return before, readout.inner_text()


def wait_until_shown_changes(page, area, before: list[str], timeout_s: float) -> dict:
    """The output area's fingerprint once it differs from ``before``, with the kernel idle, twice in a row."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        time.sleep(0.5)
        shown = area.evaluate(SHOWN)
        idle = page.evaluate(ACTIVITY)["kernel"] == "idle"
        if idle and shown["parts"] and shown["parts"] != before and shown == last:
            return shown
        last = shown if idle else None
    pytest.fail(f"the panel's output did not change within {timeout_s:.0f} s after the drag")


def log_console(page) -> str:
    """The text of View > Show Log Console: kernel output that reached no cell (e.g. from a callback)."""
    page.get_by_role("menuitem", name="View", exact=True).click()
    page.get_by_role("menuitem", name="Show Log Console").click()
    console = page.locator(".jp-LogConsolePanel").first
    console.wait_for(state="visible", timeout=30_000)
    time.sleep(1)
    return console.inner_text()


def test_make_lab_is_offline_and_never_saves(lab):
    """The news prompt is off, no news or update is fetched, and this server never autosaves."""
    notification = lab.settings("@jupyterlab/apputils-extension:notification")
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False, notification
    assert lab.api("/lab/api/news")["news"] == []
    assert lab.api("/lab/api/update")["notification"] is None
    docmanager = lab.settings("@jupyterlab/docmanager-extension:plugin")
    assert docmanager["autosave"] is False  # the test's settings; `make lab` itself keeps autosave on


def test_an_error_output_is_caught(browser, lab):
    """The checks below can fail: a notebook whose third cell raises is reported as such."""
    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
                  for source in ["print('fine')", "import warnings\nwarnings.warn('only a warning')",
                                 "raise ValueError('on purpose')", "print('never runs')"]],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = SCREENSHOTS / "error_on_purpose.ipynb"  # git-ignored
    path.write_text(json.dumps(notebook))
    page = open_in_fresh_workspace(browser, lab, path.relative_to(ROOT).as_posix(), "artlab-browser-error")
    try:
        run_all(page, timeout_s=120)
        errors, not_run = problems(page.evaluate(NOTEBOOK)["notebook"])
        assert errors == ["cell 2: ValueError: on purpose"] and not_run == [3], (errors, not_run)
        assert page.get_by_text(NEWS_PROMPT).count() == 0, "JupyterLab asked about Jupyter news"
    finally:
        page.close()
        lab.shut_down_kernels()


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.notebook[:-6] for lesson in LESSONS])
def test_lesson_runs_and_its_panel_follows_the_mouse(browser, lab, lesson):
    notebook = f"notebooks/{lesson.notebook}"
    assert (ROOT / notebook).exists(), f"{notebook} is listed in LESSONS but does not exist"
    page = open_in_fresh_workspace(browser, lab, notebook, f"artlab-browser-{lesson.notebook[:2]}")
    try:
        run_all(page, LESSON_TIMEOUT_S)
        model = page.evaluate(NOTEBOOK)["notebook"]
        errors, not_run = problems(model)
        assert not errors, f"{notebook}: error outputs after Run All: {errors}"
        assert not not_run, f"{notebook}: code cells that did not run: {not_run}"

        index = code_cell_index(model, lesson.panel_cell)
        area = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea").first
        area.scroll_into_view_if_needed()
        before = area.evaluate(SHOWN)
        assert before["parts"], f"{notebook} cell {index} shows no picture before the drag"
        was, now = drag_first_slider(page, area)
        assert was != now, f"{notebook} cell {index}: the drag did not move the slider (readout {was!r})"
        if lesson.press:
            area.locator("button", has_text=lesson.press).first.click()
        after = wait_until_shown_changes(page, area, before["parts"], CHANGE_TIMEOUT_S)
        assert len(after["parts"]) == len(before["parts"]), (
            f"{notebook} cell {index}: the panel showed {len(before['parts'])} pictures before the drag "
            f"and {len(after['parts'])} after")
        if lesson.sharp:
            assert all(pixels >= 2 * css for pixels, css in after["sizes"]), after["sizes"]

        page.locator(".jp-Notebook .jp-Cell").nth(index).evaluate("e => e.scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        page.screenshot(path=str(SCREENSHOTS / f"{lesson.notebook[:-6]}.png"))
        assert page.get_by_text(NEWS_PROMPT).count() == 0, "JupyterLab asked about Jupyter news"
        stray = log_console(page)
        assert "No log messages" in stray, f"{notebook}: output that no cell showed (Log Console): {stray[-2000:]}"
    finally:
        page.close()
        lab.shut_down_kernels()


def test_the_checkout_is_unchanged(lab, checkout_state):
    """Nothing was saved: git sees the same files, and nothing under notebooks/ was written or added."""
    status, files = checkout_state
    assert git_status() == status
    now = notebooks_folder()
    changed = sorted(name for name in files.keys() | now.keys() if files.get(name) != now.get(name))
    assert not changed, f"written by the browser tests: {changed}"

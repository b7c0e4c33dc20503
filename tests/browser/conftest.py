"""A JupyterLab started by `make lab` and a chromium driven by Playwright, for the browser tests.

`make test-browser` sets ``ARTLAB_BROWSER_TESTS=1`` and ``ARTLAB_CHROMIUM``; without the
first (``pytest tests``, i.e. `make unit`) every test here is skipped with a line that says
how to run them. Under CI (``CI=true``) a missing chromium or Playwright is a failure, never
a skip.

The server is the `make lab` target itself, with a free port, a random token and
``LAB_ARGS`` that only make it testable: no browser of its own, no port hopping, autosave
off, and workspaces and checkpoints in a temporary folder (so nothing is written into the checkout),
and the app exposed as ``window.jupyterapp`` (as JupyterLab's own Playwright tests do) so
a test can read each cell's outputs exactly. Kernels run in fast mode (``ARTLAB_FAST=1``)
and write their files into a temporary folder.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "outputs" / "browser"  # git-ignored (outputs/)
ENABLE = "ARTLAB_BROWSER_TESTS"
HOW_TO_RUN = ("browser tests run only with `make test-browser` (after installing chromium, "
              "e.g. sudo apt-get install chromium)")
# Flags known to work for Debian's chromium, also as root in a container.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 180


def _under_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _unavailable(reason: str) -> None:
    """Skip on a laptop; fail under CI, where the browser tests must always run."""
    if _under_ci():
        pytest.fail(f"{reason} (CI never skips the browser tests)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    """``ARTLAB_CHROMIUM``, else Debian's /usr/bin/chromium, else the first chromium on PATH."""
    candidates = [os.environ.get("ARTLAB_CHROMIUM", ""), "/usr/bin/chromium",
                  shutil.which("chromium") or "", shutil.which("chromium-browser") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return ""


def pytest_runtest_setup(item):
    if os.environ.get(ENABLE) != "1":
        pytest.skip(HOW_TO_RUN)


@dataclass
class Lab:
    """A running JupyterLab: where it listens, its token, and its log."""
    url: str
    token: str
    log: Path

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def settings(self, plugin: str) -> dict:
        """A plugin's settings as JupyterLab applies them: the schema's defaults (with the server's
        overrides in them), then the user's settings."""
        answer = self.api(f"/lab/api/settings/{plugin}")
        effective = {name: spec.get("default") for name, spec in answer["schema"]["properties"].items()}
        return {**effective, **answer["settings"]}

    def page_url(self, notebook: str, workspace: str) -> str:
        """``notebook`` opened in a fresh workspace (``?reset`` drops whatever it held)."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def shut_down_kernels(self) -> None:
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git_status() -> str | None:
    try:
        return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout (an unpacked archive): the notebooks' checksums still count


def _write_settings(folder: Path) -> None:
    """User settings for the test's JupyterLab only: never autosave (JupyterLab saves outputs)."""
    plugin = folder / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(json.dumps({"autosave": False}))


def notebooks_folder() -> dict[str, tuple[int, int, bytes]]:
    """Every file under notebooks/, git-ignored ones too: (modification time, size, bytes of a notebook)."""
    files = {}
    for path in sorted((ROOT / "notebooks").rglob("*")):
        if path.is_file():
            stat = path.stat()
            files[path.relative_to(ROOT).as_posix()] = (
                stat.st_mtime_ns, stat.st_size, path.read_bytes() if path.suffix == ".ipynb" else b"")
    return files


@pytest.fixture(scope="session")
def checkout_state():
    """``git status --porcelain`` and everything under notebooks/, before the browser tests."""
    return git_status(), notebooks_folder()


@pytest.fixture(scope="session")
def lab(tmp_path_factory, checkout_state) -> Lab:
    """`make lab` on a free port with a token, run until the session ends."""
    if not shutil.which("make"):
        _unavailable("`make` is not installed")
    folder = tmp_path_factory.mktemp("lab")
    _write_settings(folder / "settings")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    port, token = _free_port(), secrets.token_hex(16)
    lab_args = " ".join([
        "--no-browser", "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={folder / 'settings'}", f"--LabApp.workspaces_dir={folder / 'workspaces'}",
        f"--FileCheckpoints.root_dir={folder / 'checkpoints'}",  # JupyterLab makes one when it opens a file
    ])
    env = dict(os.environ, ARTLAB_FAST="1", ARTLAB_OUTPUT=str(folder / "outputs"))
    env.pop("ARTLAB_DEVICE", None)
    # `make lab` with the Python running these tests as its environment; `-o env`: `make
    # test-browser` has already set it up, so this never installs anything.
    command = ["make", "--no-print-directory", "-o", "env", "lab", f"VENV={sys.prefix}", f"LAB_PORT={port}",
               f"LAB_TOKEN={token}", f"LAB_ARGS={lab_args}"]
    log = SCREENSHOTS / "jupyterlab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    running = Lab(url=f"http://127.0.0.1:{port}", token=token, log=log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"`make lab` exited with {server.returncode} before answering; its log "
                            f"({log}):\n{log.read_text()[-3000:]}", pytrace=False)
            try:
                running.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"`make lab` did not answer on port {port} within {SERVER_START_S} s; "
                                f"its log ({log}):\n{log.read_text()[-3000:]}", pytrace=False)
                time.sleep(0.5)
        yield running
    finally:
        try:
            running.shut_down_kernels()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        os.killpg(server.pid, signal.SIGTERM)  # make and jupyter: jupyter stops its kernels
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A chromium with a fresh profile, driven by Playwright (never `playwright install`)."""
    executable = chromium_path()
    if not executable:
        _unavailable("no chromium found (looked at $ARTLAB_CHROMIUM, /usr/bin/chromium, PATH); "
                     "install it (Debian/Ubuntu: sudo apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed; `make test-browser` installs it (pip extra `browser`)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1000})
        try:
            yield context
        finally:
            context.close()

# artlab: two commands.
#   make lab    set up the course environment (first time only) and open JupyterLab
#   make test   set up the same environment and prove the whole course works
# Everything lives in .venv; nothing is installed outside it.

SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
# The environment is reinstalled only when the lock (constraints.txt) or the
# package description (pyproject.toml) changes: the stamp's name is their checksum.
LOCK_KEY := $(shell cat constraints.txt pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
STAMP    := $(VENV)/.installed-$(LOCK_KEY)

LAB_PORT  ?= 8888
LAB_TOKEN ?=
LAB_ARGS  ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Offline: no news prompt, no news feed, no update check. The settings overrides live in
# jupyter-config/labconfig/; the flags stop the server's own requests.
LAB_CONFIG  := $(CURDIR)/jupyter-config
LAB_OFFLINE := --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

# The browser tests drive Debian's chromium (or CHROMIUM=/path/to/chrome) with Playwright.
CHROMIUM      ?= $(firstword $(wildcard /usr/bin/chromium) $(shell command -v chromium chromium-browser 2>/dev/null))
BROWSER_STAMP := $(VENV)/.installed-browser-$(LOCK_KEY)

.PHONY: help env lab test unit notebooks check-exercises test-browser bench exercises lock doctor clean

help:
	@echo "make lab     set up (first time) and open JupyterLab on notebooks/00_welcome.ipynb"
	@echo "make test    set up (first time) and run every test: unit, notebooks, exercises"
	@echo "make test-browser  lessons run and their widgets dragged in a real chromium (needs chromium)"
	@echo "make bench   run the speed and quality benchmarks and write docs/benchmarks.md (an hour or more)"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make doctor  print what is installed and working"

env: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "artlab needs Python 3.10 or newer, and $(PYTHON) is " + sys.version.split()[0] + ". Install a newer Python, then run for example: make PYTHON=python3.11 lab")'
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt install python3-venv"; exit 1; }; }
	@echo "Installing the course environment into $(VENV) from constraints.txt (first time: a few minutes; torch is large)"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[course]"
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "Environment ready."

lab: env
	JUPYTER_CONFIG_PATH="$(LAB_CONFIG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(LAB_PORT) \
	  --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb $(LAB_OFFLINE) \
	  $(if $(LAB_TOKEN),--IdentityProvider.token=$(LAB_TOKEN),) $(ROOT_FLAG) $(LAB_ARGS)

test: env
	@$(MAKE) --no-print-directory unit notebooks check-exercises
	@echo "All course tests passed."
	@if [ -n "$(CHROMIUM)" ]; then echo "Browser tests are not part of make test: run make test-browser (chromium: $(CHROMIUM))."; \
	else echo "Browser tests skipped: no chromium found. To run them, install chromium (Debian/Ubuntu: sudo apt-get install chromium), then make test-browser."; fi

unit: env
	$(PY) -m pytest tests

# Every lesson and every solution runs top to bottom in fast mode.
notebooks: env
	ARTLAB_FAST=1 $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=600 notebooks solutions

# Every exercise runs with its stubs: each check says "not implemented yet", nothing else fails.
check-exercises: env
	ARTLAB_FAST=1 $(PY) -m artlab.course check-exercises

# Lessons 02, 03 and 07 opened through `make lab` in a real chromium, Run All, no error
# output, then each lesson's panel dragged with the mouse (tests/browser/). Screenshots go
# to outputs/browser/. Playwright (the `browser` extra) is installed on first use.
test-browser: $(BROWSER_STAMP)
	@test -n "$(CHROMIUM)" && test -x "$(CHROMIUM)" || { echo "make test-browser needs chromium and found none. Install it (Debian/Ubuntu: sudo apt-get install chromium) or pass CHROMIUM=/path/to/chromium."; exit 1; }
	ARTLAB_BROWSER_TESTS=1 ARTLAB_CHROMIUM="$(CHROMIUM)" $(PY) -m pytest -p no:cacheprovider tests/browser

$(BROWSER_STAMP): $(STAMP)
	@echo "Installing Playwright into $(VENV) (it drives your chromium; it downloads no browser)"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[course,browser]"
	@touch $@

# Every benchmark prints its figures and goal lines and rewrites its section of docs/benchmarks.md.
bench: env
	@for f in benchmarks/[!_]*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

exercises: env
	$(PY) -m artlab.course exercises

doctor: env
	$(VENV)/bin/artlab doctor

# Re-record constraints.txt after changing pyproject.toml: install what it now asks
# for into .venv (keeping what already fits), then write the exact set down.
lock: env
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[course,browser]"
	@{ sed -n '1,/^# Regenerate/p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -vi '^artlab'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@echo "constraints.txt updated."

clean:
	rm -rf $(VENV) .pytest_cache outputs notebooks/outputs solutions/outputs exercises/outputs

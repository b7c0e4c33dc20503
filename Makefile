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

.PHONY: help env lab test unit notebooks check-exercises bench exercises lock doctor clean

help:
	@echo "make lab     set up (first time) and open JupyterLab on notebooks/00_welcome.ipynb"
	@echo "make test    set up (first time) and run every test: unit, notebooks, exercises"
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
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(LAB_PORT) \
	  --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb \
	  $(if $(LAB_TOKEN),--IdentityProvider.token=$(LAB_TOKEN),) $(ROOT_FLAG) $(LAB_ARGS)

test: env
	@$(MAKE) --no-print-directory unit notebooks check-exercises
	@echo "All course tests passed."

unit: env
	$(PY) -m pytest tests

# Every lesson and every solution runs top to bottom in fast mode.
notebooks: env
	ARTLAB_FAST=1 $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=600 notebooks solutions

# Every exercise runs with its stubs: each check says "not implemented yet", nothing else fails.
check-exercises: env
	ARTLAB_FAST=1 $(PY) -m artlab.course check-exercises

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
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[course]"
	@{ sed -n '1,/^# Regenerate/p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -vi '^artlab'; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@echo "constraints.txt updated."

clean:
	rm -rf $(VENV) .pytest_cache outputs notebooks/outputs solutions/outputs exercises/outputs

# Everyday commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data/sample
# The tested versions of every dependency (Python 3.11), for byte-identical outputs;
# pyproject.toml keeps the loose ranges for library users. `make lock` regenerates it.
LOCK := requirements/constraints.txt

.PHONY: demo test test-fast lint format lock sample screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files record which install the venv has, so reruns are instant; a change of
# pyproject.toml or of the lock reinstalls.
$(VENV)/.installed-core: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[dev]"
	touch $@ $(VENV)/.installed-core

# The main job: the full report of the sample cohort (settings in docs/sample-report.toml),
# rebuilt into report/ (git-ignored); prints the path of report.html.
demo: $(VENV)/.installed-core
	$(BIN)/ketanalysis report $(SAMPLE)/cohort_long.csv --out $(CURDIR)/report \
	    --config docs/sample-report.toml --overwrite

# Everything, as CI runs it (.ci/run), under 10 minutes on 2 cores.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

# Everything but the tests marked slow (notebooks, report builds, CLI runs, simulations).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the lock from pyproject.toml with pip-tools' pip-compile (run it with the
# Python the lock is for, 3.11). Pins still allowed are kept; to move every pin to the
# newest allowed release: make lock COMPILE_ARGS=--upgrade
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --unsafe-package ketanalysis \
	    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	    $(COMPILE_ARGS) --output-file $(LOCK) pyproject.toml

# Regenerate the sample cohort byte for byte (see data/sample/README.md).
sample: $(VENV)/.installed-core
	$(BIN)/python -m ketanalysis.simulate $(SAMPLE)

# The README's pictures: the report's first screen (headless Chromium; Debian package
# `chromium`) and the swimmer figure of the sample report. Not needed by demo or test.
screenshots: demo
	chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,900 \
	    --screenshot=docs/report.png file://$(CURDIR)/report/report.html
	cp report/figures/swimmer.png docs/swimmer.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

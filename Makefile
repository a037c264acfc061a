# Everyday commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data/sample

.PHONY: demo test lint format sample screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files record which install the venv has, so reruns are instant.
$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-core

# The main job: the full report of the sample cohort (settings in docs/sample-report.toml),
# rebuilt into report/ (git-ignored); prints the path of report.html.
demo: $(VENV)/.installed-core
	$(BIN)/ketanalysis report $(SAMPLE)/cohort_long.csv --out $(CURDIR)/report \
	    --config docs/sample-report.toml --overwrite

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

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

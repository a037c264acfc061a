# Everyday commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data/sample

.PHONY: demo test lint format sample clean

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

# The main job. Until the report lands: validate the sample cohort in its three layouts.
demo: $(VENV)/.installed-core
	$(BIN)/ketanalysis validate $(SAMPLE)/cohort_long.csv
	$(BIN)/ketanalysis validate $(SAMPLE)/cohort_wide.csv \
	    --wide-sessions '(?P<scale>madrs|phq9|cadss)\.s(?P<session>\d+)' \
	    --wide-days 'day\.s(?P<session>\d+)'
	$(BIN)/ketanalysis validate $(SAMPLE)/cohort_redcap.csv \
	    --redcap-events $(SAMPLE)/cohort_redcap_events.json --redcap-day study_day

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

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

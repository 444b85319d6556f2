# One entry point for setting up, making the sample report, linting and testing.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: setup report test test-fast lint format browser

$(BIN)/reportgen: pyproject.toml
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

setup: $(BIN)/reportgen

# The bundled sample, end to end: writes output/report.pdf and friends.
report: setup
	$(BIN)/reportgen run

lint: setup
	$(BIN)/ruff check reportgen tests benchmarks
	$(BIN)/ruff format --check reportgen tests benchmarks
	$(BIN)/mypy reportgen

# Debian's chromium, for the browser checks of report.html (tests/test_browser.py) only.
browser:
	bash scripts/system-deps.sh --browser

test: lint browser
	$(BIN)/python -m pytest

# The everyday subset: unit tests only, seconds rather than minutes.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -q

format: setup
	$(BIN)/ruff format reportgen tests benchmarks
	$(BIN)/ruff check --fix reportgen tests benchmarks

# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO ?= scenarios/pax_silica.xlsx

.PHONY: demo test lint bench scenarios clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12) and "Python 3.12 or newer is needed (see .python-version)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planner run $(DEMO) -o demo-report.xlsx --json demo-summary.json

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check planner tests scenarios examples benchmarks
	$(BIN)/ruff format --check planner tests scenarios examples benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

scenarios: $(STAMP)
	$(BIN)/python scenarios/build_scenarios.py

clean:
	rm -rf $(VENV) demo-report.xlsx demo-summary.json .pytest_cache .mypy_cache .ruff_cache

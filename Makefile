# The two commands the README shows first. Both create the virtualenv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JIMU := $(BIN)/jimu
DB ?= sqlite:///./data/jimu.db

.PHONY: run test install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(JIMU) install apps/sales_erp --demo --show-plan --db $(DB)
	$(JIMU) serve --db $(DB) --host 127.0.0.1 --port 8000

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache

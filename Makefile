# Quick start: `make demo` plans the built-in sample day; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REGION ?= midlothian
SIZE ?= small
SEED ?= 1
DATE ?= 2026-11-24

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/carerounds sample --region $(REGION) --size $(SIZE) --seed $(SEED) --date $(DATE) --out out/demo/inputs
	$(BIN)/carerounds plan --inputs out/demo/inputs --out out/demo --date $(DATE) --seed $(SEED) --time-limit 20
	$(BIN)/carerounds check --inputs out/demo/inputs --rota out/demo/rota.json

test: $(STAMP)
	$(BIN)/ruff check src benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/matrix.py
	$(BIN)/python benchmarks/solomon.py --budget 10

clean:
	rm -rf out .pytest_cache

# Set-up is automatic: every target that needs the environment creates .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= $(or $(SPARSEAE_DATA_DIR),$(wildcard ../shared/data))

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# Pinned torch first: a plain requirement would pull gigabytes of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,slurm]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sparseae train

test: $(STAMP)
	SPARSEAE_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sparseae_cli tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench_projections.py

clean:
	rm -rf $(VENV) build dist *.egg-info

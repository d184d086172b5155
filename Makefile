# Thin wrappers over the dpc CLI and the tools. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: demo test test-setup bench lint docs serve-docs report lambdas clean help install

help:
	@echo "make demo   - install, generate demo DPC data, run the whole pipeline, print the summary"
	@echo "make test   - every test (pytest, dbt on DuckDB, offline compiles, lint, terraform, browser)"
	@echo "make bench  - the benchmark (large dataset; prints figures, writes bench/results.json)"
	@echo "make lint   - ruff, mypy, sqlfluff, terraform fmt"
	@echo "make lambdas - package the Lambda handlers (build/dpc-lambdas.zip; terraform apply builds it itself)"
	@echo "make docs / serve-docs / report / clean"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dpc demo $(ARGS)

test-setup: $(STAMP)
	./scripts/setup-test.sh

test: test-setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=30 $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check dpc runner orchestration tests bench scripts
	$(BIN)/ruff format --check dpc runner orchestration tests bench scripts
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/dbt
	terraform fmt -check -recursive infra/terraform

docs: $(STAMP)
	$(BIN)/dpc docs

serve-docs: $(STAMP)
	$(BIN)/dpc docs --serve

report: $(STAMP)
	$(BIN)/dpc report

lambdas: $(STAMP)
	$(BIN)/python scripts/package_lambdas.py --list

clean:
	rm -rf data target logs dbt_packages test-artifacts build

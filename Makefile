# Thin wrappers over the dpc CLI and the tools. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
ARGS ?=
LOCK_ARGS ?=
# `make lock`: both locks from pyproject.toml, every package pinned with the hashes of all its files, for CPython 3.11
# on Linux x86-64 (this machine, CI, the runner image). uv keeps the versions already in a lock unless told otherwise
# (LOCK_ARGS="--upgrade-package dbt-core"); the dev lock is constrained by the runtime lock, so the packages they
# share have one version (docs/decisions/0022).
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11.5 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: demo test test-setup bench lint lock docs serve-docs report lambdas clean help install install-runtime install-dev

help:
	@echo "make demo   - install the runtime, generate demo DPC data, run the whole pipeline, print the summary"
	@echo "make test   - every test (pytest, dbt on DuckDB, offline compiles, lint, terraform, browser)"
	@echo "make bench  - the benchmark (large dataset; prints figures, writes bench/results.json)"
	@echo "make lint   - ruff, mypy, sqlfluff, terraform fmt"
	@echo "make install - the development environment (runtime + dev locks); install-runtime: the runtime lock only"
	@echo "make lock   - regenerate requirements/runtime.txt and requirements/dev.txt (hashed) from pyproject.toml"
	@echo "make lambdas - package the Lambda handlers (build/dpc-lambdas.zip; terraform apply builds it itself)"
	@echo "make docs / serve-docs / report / clean"

# Two locks, two stamps: the demo installs the runtime lock only; the tests and the tools add the dev lock (a
# superset with the same versions). A changed lock or pyproject.toml re-installs what depends on it. The package
# itself is installed editable, without build isolation: its build backend is the lock's own (hashed) setuptools.
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"

$(RUNTIME_STAMP): $(RUNTIME_LOCK) pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(RUNTIME_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DEV_STAMP): $(DEV_LOCK) $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	touch $@

install-runtime: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

install: install-dev

lock: $(DEV_STAMP)
	$(UV_COMPILE) -o $(RUNTIME_LOCK)
	$(UV_COMPILE) --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK)

demo: $(RUNTIME_STAMP)
	$(BIN)/dpc demo $(ARGS)

test-setup: $(DEV_STAMP)
	./scripts/setup-test.sh

test: test-setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=30 $(ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py $(ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check dpc runner orchestration tests bench scripts
	$(BIN)/ruff format --check dpc runner orchestration tests bench scripts
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models tests/dbt
	terraform fmt -check -recursive infra/terraform

docs: $(RUNTIME_STAMP)
	$(BIN)/dpc docs

serve-docs: $(RUNTIME_STAMP)
	$(BIN)/dpc docs --serve

report: $(RUNTIME_STAMP)
	$(BIN)/dpc report

lambdas: $(RUNTIME_STAMP)
	$(BIN)/python scripts/package_lambdas.py --list

clean:
	rm -rf data target logs dbt_packages test-artifacts build

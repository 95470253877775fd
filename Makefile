# The single entry point. Every target installs what it needs (idempotently) first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
PIPENV := $(PYTHON) -m pipenv
# The environment pipenv built (PIPENV_VENV_IN_PROJECT): calling it directly saves pipenv's ~0.7 s start-up.
VENV_PYTHON := .venv/bin/python
STACK := lambda-dynamodb
STACK_DIR := cdktf.out/stacks/$(STACK)

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
# jsii runs on the machine's Node.js 20 and would print an end-of-life banner on every run.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
# cdktf.json runs the app with `pipenv run`: the folder pip installed pipenv into must be on PATH
# for the targets that run the cdktf CLI (computed only there: it costs a Python start-up).
WITH_PIPENV_ON_PATH = PATH="$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$$PATH"

.PHONY: help install install-cli graphviz synth validate scan permissions plan bench deploy destroy dist tf-module release check test clean

TARGET ?= local
PLAN_DIR ?= plan
# The slow tiers' marks (pyproject.toml, docs/testing.md): `make check` runs the tests that carry none of them.
FAST_TIER := not terraform and not emulator and not release and not packaging and not scan and not stock_provider
# Both run in parallel (pytest-xdist; tests/conftest.py keeps each module's slow tests on one worker).
# `make check` with one worker per core: its tests are CPU-bound. `make test` with two per core: its
# deployments spend much of their time waiting on terraform, the emulator and child processes
# (docs/performance.md). XDIST="..." replaces either's options, e.g. XDIST="-p no:xdist": one process.
CHECK_WORKERS ?= auto
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) )))
XDIST ?=

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# pyproject.toml too: its entry points and metadata reach the venv only when the editable install is redone.
.venv/.synced: Pipfile.lock pyproject.toml
	@$(PYTHON) -m pipenv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check "pipenv==$(PIPENV_VERSION)"
	$(PIPENV) sync --dev
	$(PIPENV) run python -m lambda_dynamodb.fast_provider
	@touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: .venv/.synced ## Install the locked Python environment (.venv) with pipenv

install-cli: node_modules/.package-lock.json ## Install the cdktf CLI pinned in package-lock.json (npm ci)

graphviz: ## Install Graphviz (dot draws plan/architecture.svg) with apt-get when it is missing
	@command -v dot >/dev/null || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Graphviz (make plan draws plan/architecture.svg with dot)"; \
	  $$sudo apt-get install -y --no-install-recommends graphviz || { $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends graphviz; }; }

synth: install ## Synthesize the stack into cdktf.out/stacks/lambda-dynamodb/cdk.tf.json
	$(VENV_PYTHON) main.py

validate: synth ## terraform init + validate the synthesized stack (offline provider mirror if present)
	@config=$$(pwd)/.terraform-cli.rc; $(PIPENV) run python -m lambda_dynamodb.testing.terraform_cli $$config >/dev/null; \
	cd $(STACK_DIR) && TF_CLI_CONFIG_FILE=$$config terraform init -backend=false -input=false >/dev/null && \
	TF_CLI_CONFIG_FILE=$$config terraform validate

scan: synth ## checkov on the synthesized stack (skips, with reasons: .checkov.yaml)
	$(PIPENV) run checkov --config-file .checkov.yaml -d $(STACK_DIR)

deploy: install install-cli ## Deploy to the local AWS emulator (TARGET=aws: to real AWS), smoke-test, print outputs
	$(WITH_PIPENV_ON_PATH) $(PIPENV) run python -m tools.deploy deploy --target $(TARGET)

destroy: install install-cli ## Destroy the deployment (turns off the table's deletion protection first), stop the emulator
	$(WITH_PIPENV_ON_PATH) $(PIPENV) run python -m tools.deploy destroy --target $(TARGET)

permissions: install ## Every permission of the role: action, resource, why it is there, verdict (used, unused, missing)
	@for app in . examples/orders-service; do log=$$(mktemp); \
	  CDKTF_OUTDIR=$$app/cdktf.out $(VENV_PYTHON) $$app/main.py >$$log 2>&1 || { cat $$log >&2; rm -f $$log; exit 2; }; rm -f $$log; done; \
	status=0; for app in . examples/orders-service; do \
	  $(dir $(VENV_PYTHON))lambda-dynamodb permissions --outdir $$app/cdktf.out || status=$$?; done; exit $$status

plan: synth graphviz ## Plan against what is deployed (local emulator; TARGET=aws: AWS): review in plan/plan.md, diagram plan/architecture.svg
	$(VENV_PYTHON) -m tools.plan --target $(TARGET) --plan-dir $(PLAN_DIR)$(if $(PLAN_STACK), --stack "$(PLAN_STACK)")

dist: install ## Build the library's wheel and sdist into dist/ (python -m build)
	rm -f dist/*.whl dist/*.tar.gz
	$(VENV_PYTHON) -m build --outdir dist .

tf-module: install install-cli ## Write the construct as an HCL module (cdktf synth --hcl) to dist/terraform-aws-lambda-dynamodb/
	$(VENV_PYTHON) -m tools.tf_module

release: install install-cli ## Release VERSION=x.y.z: wheel+sdist on a package index, the HCL module tagged vx.y.z (docs/publishing.md)
	@[ -n "$(VERSION)" ] || { echo "usage: make release VERSION=x.y.z [REPOSITORY_URL=https://...] [INDEX_URL=https://...]" >&2; exit 2; }
	$(VENV_PYTHON) -m tools.release --version "$(VERSION)" $(if $(REPOSITORY_URL),--repository-url "$(REPOSITORY_URL)") $(if $(INDEX_URL),--index-url "$(INDEX_URL)")

bench: install install-cli graphviz ## Benchmark: synth stock vs fast, memory, 1/10/50 instances, terraform validate, make check serial vs parallel (BENCH_ARGS=--suite: make test too)
	$(WITH_PIPENV_ON_PATH) $(PIPENV) run python bench/bench.py $(BENCH_ARGS)

check: install graphviz ## The fast tier: every test but the slow tiers (terraform, emulator, release, packaging, scan), in parallel
	$(WITH_PIPENV_ON_PATH) $(PIPENV) run pytest -m "$(FAST_TIER)" $(or $(XDIST),-n $(CHECK_WORKERS) --dist loadgroup)

test: install install-cli graphviz ## Run the whole test suite (synth, terraform validate/apply, scanners, handler, emulator), in parallel
	$(WITH_PIPENV_ON_PATH) $(PIPENV) run pytest $(or $(XDIST),-n $(TEST_WORKERS) --dist loadgroup)

clean: ## Remove generated output (keeps the environment and any Terraform state)
	rm -rf cdktf.out .cdktf.out.* .pytest_cache .hypothesis .terraform-cli.rc

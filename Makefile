# The helpline's two commands are `make run` and `make test`; both set everything up first.
# Python 3.10 (for Rasa) and 3.11+ (for the app) are found by scripts/find-python (pyenv or PATH).

SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
RASA_PYTHON = $(shell scripts/find-python 3.10)
APP_PYTHON = $(shell scripts/find-python 3.11 3.12 3.13 3.10)
UV := .tools/bin/uv
RASA := .venv-rasa/bin/rasa
HELPLINE := .venv/bin/helpline
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export UV_CACHE_DIR ?= $(HOME)/.cache/uv

TRAINING_DATA := config.yml domain.yml helpline_rasa/intent_classifier.py $(shell find nlu stories -name '*.yml' 2>/dev/null)
PO_FILES := $(wildcard content/locale/*/LC_MESSAGES/helpline.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help setup train run test lint bench eval messages validate clean chaos fuzz soak

help:
	@echo "make run    start the whole helpline locally (web chat at http://127.0.0.1:8000/chat)"
	@echo "make test   run every test (unit, integration, end-to-end, browser)"
	@echo "make bench  pipeline vs bare Rasa, eight languages vs English, handoff claims and latency,"
	@echo "            encrypted tracker store vs in-memory, danger net and model, training time, model size"
	@echo "            and the whole stack's memory (bench/results.json)"
	@echo "make eval   per-language macro-F1 on the held-out split, conversation accuracy (bench/results.json)"
	@echo "make chaos  kill -9 each part during relayed chats, then fuzz every entry point (~20 min)"
	@echo "make fuzz   10,000 seeded odd inputs through every entry point (bench/results.json)"
	@echo "make soak   200 web chat and 50 Telegram people for 5 minutes (bench/results.json)"
	@echo "make setup | train | lint | messages | validate | clean"

setup: .venv/.installed .venv-rasa/.installed $(MO_FILES)

$(UV):
	@echo "==> Installing uv $(UV_VERSION) (the package installer) into .tools"
	@"$$(scripts/find-python 3.11 3.12 3.13 3.10)" -m venv .tools
	@.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: requirements/app.lock pyproject.toml | $(UV)
	@echo "==> Installing the app environment (.venv, Python $$($(APP_PYTHON) -c 'import sys; print(sys.version.split()[0])'))"
	@$(UV) venv --quiet --allow-existing --python "$(APP_PYTHON)" .venv
	@$(UV) pip install --quiet --python .venv/bin/python --require-hashes -r requirements/app.lock
	@$(UV) pip install --quiet --python .venv/bin/python --no-deps -e .
	@touch $@

.venv-rasa/.installed: requirements/rasa.lock | $(UV)
	@echo "==> Installing the engine environment (.venv-rasa: Rasa 3.6.21, Python 3.10); the first time takes a minute or two"
	@$(UV) venv --quiet --allow-existing --python "$(RASA_PYTHON)" .venv-rasa
	@$(UV) pip install --quiet --python .venv-rasa/bin/python --require-hashes -r requirements/rasa.lock
	@touch $@

content/locale/%/LC_MESSAGES/helpline.mo: content/locale/%/LC_MESSAGES/helpline.po .venv/.installed
	@.venv/bin/pybabel compile --domain helpline --input-file $< --output-file $@ --locale $*

# Re-extract interface strings from the code and templates, and merge them into every catalog.
messages: .venv/.installed
	.venv/bin/pybabel extract --mapping-file babel.cfg --keyword _ --no-location --sort-output \
	  --project helpline --copyright-holder "Helpline contributors" --output-file content/locale/helpline.pot bot
	.venv/bin/pybabel update --domain helpline --input-file content/locale/helpline.pot --output-dir content/locale \
	  --no-fuzzy-matching --ignore-obsolete --width 110
	.venv/bin/python scripts/fill-source-catalog content/locale/en/LC_MESSAGES/helpline.po

train: models/helpline.tar.gz

models/helpline.tar.gz: $(TRAINING_DATA) | .venv-rasa/.installed
	@echo "==> Training the Rasa model (NLU and dialogue); about a minute"
	@start=$$(date +%s); PYTHONPATH=. PYTHONWARNINGS=ignore $(RASA) train --data nlu stories --fixed-model-name helpline --out models --num-threads 2 \
	  && echo "    trained in $$(( $$(date +%s) - start )) s"
	@touch $@

validate: .venv-rasa/.installed
	$(RASA) data validate --fail-on-warnings --data nlu stories

run: setup train
	@$(HELPLINE) run

test: setup train
	@scripts/ensure-chromium
	@echo "==> Lint (ruff) and types (mypy --strict)"
	@.venv/bin/ruff check --quiet bot tests bench helpline_rasa && .venv/bin/ruff format --check --quiet bot tests bench helpline_rasa && .venv/bin/mypy
	@.venv/bin/python -m pytest

lint: setup
	.venv/bin/ruff check bot tests bench helpline_rasa
	.venv/bin/ruff format --check bot tests bench helpline_rasa
	.venv/bin/mypy

bench: setup train eval
	.venv/bin/python bench/pipeline.py
	.venv/bin/python bench/languages.py
	.venv/bin/python bench/handoff.py
	.venv/bin/python bench/handoff_live.py
	PYTHONPATH=. PYTHONWARNINGS=ignore .venv-rasa/bin/python bench/tracker_store.py
	.venv/bin/python bench/tracker_pipeline.py
	.venv/bin/python bench/danger.py
	.venv/bin/python bench/danger_first.py
	.venv/bin/python bench/training.py

eval: setup train
	.venv/bin/python bench/eval.py
	.venv/bin/python bench/conversations.py

# Robustness figures (README "Robustness figures"); long, so not part of `make test`. Flags of the scripts
# shorten them: bench/chaos.py --messages 100, bench/fuzz.py --inputs 1000, bench/soak.py --minutes 1.
chaos: setup train
	.venv/bin/python bench/chaos.py
	.venv/bin/python bench/fuzz.py

fuzz: setup train
	.venv/bin/python bench/fuzz.py

soak: setup train
	.venv/bin/python bench/soak.py

clean:
	rm -rf .venv .venv-rasa .tools models .pytest_cache .mypy_cache .ruff_cache

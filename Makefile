# Karya: `make run` starts everything on an embedded default; `make test` runs the suite.
# Both set up .venv from the pinned requirements first, so a fresh clone needs only
# Python 3.11, Node/npm and git.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := workshop

.PHONY: run test setup setup-dev translations messages clean

run: setup
	$(BIN)/python -m workshop.embedded

test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.runtime-installed translations

setup-dev: $(VENV)/.dev-installed translations

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

# Compiled catalogues are build output (.mo files are not committed).
translations: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q compile -d workshop/translations

# After changing user-facing strings: extract them and merge into both catalogues.
messages: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l --sort-by-file --project Karya --no-wrap -o workshop/translations/messages.pot .
	$(BIN)/pybabel -q update --no-wrap -N -i workshop/translations/messages.pot -d workshop/translations

clean:
	rm -rf $(VENV) instance .pytest_cache

# The README's two commands: `make run` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test install install-test browser lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/python app.py

test: install-test browser
	$(BIN)/python -m ruff check advisor app.py tests benchmarks eval
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/python -m ruff check advisor app.py tests benchmarks eval
	$(BIN)/python -m mypy advisor app.py

bench: install-test browser
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_web.py

clean:
	rm -rf data/index data/.index-* .pytest_cache

# The README's two commands: `make run` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test test-fast install install-test browser services lint bench clean

# pip's own lines, cut to one per package fetched or installed, so a first install (a few
# minutes: torch, gradio, faiss) shows what it is doing and a second one is two lines.
PIP_PROGRESS := grep --line-buffered -E '^(Collecting|Downloading|Installing collected|Successfully installed|ERROR|error)' | sed -u 's/^/  pip: /'
# `$(call TICKING,what,command)`: the command, and a line every 4 s while it runs ("pip
# installs torch for a minute and says nothing" is what a first run must not look like).
TICKING = SECONDS=0; ( while sleep 4; do echo "  … $(1) ($${SECONDS} s)"; done ) & tick=$$!; \
	$(2); status=$$?; kill $$tick 2>/dev/null; wait $$tick 2>/dev/null; exit $$status
# --no-compile: no .pyc for every file of torch and its kin at install (a third of the
# install's time); Python writes them for the modules it imports, the first time.
PIP_INSTALL := $(BIN)/python -m pip install --progress-bar off --no-compile

$(BIN)/python:
	@echo "Creating the virtualenv $(VENV)…"
	$(PYTHON) -m venv $(VENV)
	@$(call TICKING,upgrading pip,$(BIN)/python -m pip install -q --upgrade pip)

install: $(BIN)/python
	@echo "Installing advisor and its libraries into $(VENV) (the first time takes a minute or two)…"
	@$(call TICKING,pip is still installing,$(PIP_INSTALL) -e . 2>&1 | { $(PIP_PROGRESS) || true; })
	@$(BIN)/python -c "import advisor" && echo "Installed. Commands: $(BIN)/advisor, $(BIN)/python app.py (or: source $(BIN)/activate)"

install-test: $(BIN)/python
	@echo "Installing advisor and its test libraries into $(VENV)…"
	@$(call TICKING,pip is still installing,$(PIP_INSTALL) -e '.[test]' 2>&1 | { $(PIP_PROGRESS) || true; })
	@$(BIN)/python -c "import advisor, pytest"

# axe-core, the accessibility checker the browser tests inject (its version pinned in
# tests/web/package.json and package-lock.json), into tests/web/node_modules.
AXE := tests/web/node_modules/.axe-installed
$(AXE): tests/web/package.json tests/web/package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq npm >/dev/null; }
	@echo "Installing axe-core (tests/web/package.json) into tests/web/node_modules…"
	@npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's Chromium for the browser tests (Playwright cannot download browsers here), and axe-core.
browser: $(AXE)
	@{ command -v chromium && command -v strace; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium strace >/dev/null; }
# Debian's nginx for the proxy tests, which run their own nginx on free ports: the system
# service the package starts on port 80 is switched off again.
	@[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx >/dev/null \
		&& { $(SUDO) systemctl disable --now nginx >/dev/null 2>&1 || true; }; }

# Debian's PostgreSQL and Redis for the tests of the shared stores, which start their own
# servers on free 127.0.0.1 ports (tests/services.py): the system services the packages
# start are switched off again.
services:
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v redis-server; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq \
		&& $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null \
		&& { $(SUDO) systemctl disable --now postgresql redis-server >/dev/null 2>&1 || $(SUDO) service postgresql stop >/dev/null 2>&1 || true; } \
		&& { $(SUDO) service redis-server stop >/dev/null 2>&1 || true; }; }

run: install
	$(BIN)/python -u app.py

test: install-test browser services
	$(BIN)/python -m ruff check advisor app.py tests benchmarks eval
	$(BIN)/python -m pytest

# The unit tests of every stage: no model, no server, no browser (about half a minute).
test-fast: install-test
	$(BIN)/python -m ruff check advisor app.py tests benchmarks eval
	$(BIN)/python -m pytest -m "not model and not server and not browser and not database"

lint: install-test
	$(BIN)/python -m ruff check advisor app.py tests benchmarks eval
	$(BIN)/python -m mypy advisor app.py

bench: install-test browser services
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_shared.py

clean:
	rm -rf data/index data/.index-* .pytest_cache

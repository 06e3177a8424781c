# Two commands for a fresh machine: `make run` and `make test`. Each builds its
# own virtual environment on first use.
PYTHON ?= python3
RUN_VENV := .venv
TEST_VENV := .venv-test
DATA_DIR ?= var
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test lint bench bench-console bench-webchat clean rasa vendor

# Playwright drives Debian's chromium (.ci/run installs it); it never fetches a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

$(RUN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(RUN_VENV)/.installed
	TONGDAI_HOST=$(HOST) TONGDAI_PORT=$(PORT) $(RUN_VENV)/bin/tongdai demo --data-dir $(DATA_DIR)
	$(RUN_VENV)/bin/tongdai serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

# Real peers the channel tests talk to (Telegram Bot API emulator, Prism for Twilio),
# and axe-core, which the browser tests inject into each page.
PEERS := tests/peers/node_modules/.installed
$(PEERS): tests/peers/package.json tests/peers/package-lock.json
	cd tests/peers && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end libraries from npm, copied with their licence into hub/static/vendor
# (listed in its VENDORED.md) and committed, so that `make run` needs Python only.
# Add a package to frontend/package.json and its files to frontend/vendor.json.
FRONTEND := frontend/node_modules/.installed
$(FRONTEND): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(@D) && touch $@

vendor: $(FRONTEND)
	$(PYTHON) frontend/vendor.py

# The Rasa assistant: its own Python 3.10 venv and trained model, cached outside
# the repo (~/.cache/tongdai, by content hash) by assistant/rasa/manage.py. The
# stamp only spares make a call; the builder itself is cached.
RASA_MANAGE := assistant/rasa/manage.py
RASA_STAMP := $(TEST_VENV)/.rasa-built
RASA_INPUTS := $(RASA_MANAGE) assistant/rasa/requirements.txt assistant/config.yml assistant/domain.yml \
	$(wildcard assistant/data/*.yml)
RASA_PORT ?= 5005
RASA_ACTIONS_PORT ?= 5055
TONGDAI_URL ?= http://$(HOST):$(PORT)
$(RASA_STAMP): $(RASA_INPUTS)
	$(PYTHON) $(RASA_MANAGE) build
	mkdir -p $(@D) && touch $@

# Rasa (HTTP API on RASA_PORT) + its action server, in the foreground; then
# TONGDAI_ASSISTANT_ENGINE=rasa TONGDAI_RASA_URL=http://127.0.0.1:5005 tongdai serve
rasa:
	$(PYTHON) $(RASA_MANAGE) run --host $(HOST) --port $(RASA_PORT) --actions-port $(RASA_ACTIONS_PORT) \
		--tongdai-url $(TONGDAI_URL)

# Lint rules, formatting, types and the import layers (pyproject.toml holds each tool's settings).
lint: $(TEST_VENV)/.installed
	$(TEST_VENV)/bin/ruff check .
	$(TEST_VENV)/bin/ruff format --check .
	$(TEST_VENV)/bin/mypy
	$(TEST_VENV)/bin/lint-imports

test: lint $(TEST_VENV)/.installed $(PEERS) $(RASA_STAMP)
	$(TEST_VENV)/bin/python -m pytest

bench: $(RUN_VENV)/.installed $(TEST_VENV)/.installed
	PATH="$(CURDIR)/$(RUN_VENV)/bin:$$PATH" PYTHON=$(RUN_VENV)/bin/python DEV_PYTHON=$(TEST_VENV)/bin/python \
		bash bench/run.sh

# The help-center console under load (issue 12): 50 agents, 2,000 conversations, 20 messages/s for 60 s;
# BENCH_ARGS=--quick for 10 s.
bench-console: $(RUN_VENV)/.installed
	$(RUN_VENV)/bin/python bench/console.py $(BENCH_ARGS)

# The web chat under load (issue 13): 500 widget sessions, a question every 5 s each, for 60 s, and the
# kiosk page's first paint in Chromium (Playwright: the test venv); BENCH_ARGS=--quick for 50 sessions, 10 s.
bench-webchat: $(TEST_VENV)/.installed
	$(TEST_VENV)/bin/python bench/webchat.py $(BENCH_ARGS)

clean:
	rm -rf $(RUN_VENV) $(TEST_VENV) *.egg-info

# Two commands for a fresh machine: `make run` and `make test`. Each builds its
# own virtual environment on first use.
PYTHON ?= python3
RUN_VENV := .venv
TEST_VENV := .venv-test
DATA_DIR ?= var
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test bench clean

$(RUN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(RUN_VENV)/.installed
	$(RUN_VENV)/bin/tongdai demo --data-dir $(DATA_DIR)
	$(RUN_VENV)/bin/tongdai serve --data-dir $(DATA_DIR) --host $(HOST) --port $(PORT)

# Real peers the channel tests talk to (Telegram Bot API emulator, Prism for Twilio).
PEERS := tests/peers/node_modules/.installed
$(PEERS): tests/peers/package.json tests/peers/package-lock.json
	cd tests/peers && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(TEST_VENV)/.installed $(PEERS)
	$(TEST_VENV)/bin/python -m pytest

bench: $(RUN_VENV)/.installed
	PATH="$(CURDIR)/$(RUN_VENV)/bin:$$PATH" PYTHON=$(RUN_VENV)/bin/python bash bench/run.sh

clean:
	rm -rf $(RUN_VENV) $(TEST_VENV) *.egg-info

# CloudPhoenix: the two commands a newcomer needs are `make demo` and `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := prometheus redis-server chromium fonts-noto-color-emoji
DEMO_PORT ?= 8787

.PHONY: test lint typecheck contracts unit demo bench system-deps clean

$(BIN)/phoenix: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,deploy,sandbox]'
	touch $@

# Servers the tests run for real on loopback. The tests start and stop them themselves.
system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: $(BIN)/phoenix
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/phoenix
	$(BIN)/mypy

contracts: $(BIN)/phoenix
	$(BIN)/lint-imports

unit: $(BIN)/phoenix
	$(BIN)/pytest tests/unit -q

test: system-deps $(BIN)/phoenix lint typecheck contracts
	$(BIN)/pytest -q

demo: $(BIN)/phoenix
	@echo "CloudPhoenix sandbox: open http://127.0.0.1:$(DEMO_PORT)/ (Ctrl-C stops it)"
	@echo "Break things in the fault panel; act as alice, bob (approvers) or carol."
	@echo "A scripted story without a browser: $(BIN)/phoenix sandbox --list-scenarios, then"
	@echo "  $(BIN)/phoenix sandbox --scenario regional-outage --headless"
	@$(BIN)/phoenix sandbox --port $(DEMO_PORT)

bench: system-deps $(BIN)/phoenix
	@command -v rclone >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq rclone >/dev/null; }
	@for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache

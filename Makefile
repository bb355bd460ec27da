# CloudPhoenix: the two commands a newcomer needs are `make demo` and `make test`.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := prometheus redis-server
DEMO_PORTS := 18081 18082

.PHONY: test lint typecheck contracts unit demo bench system-deps clean

$(BIN)/phoenix: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,deploy]'
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
	@$(BIN)/python examples/health_endpoints.py $(DEMO_PORTS) & pid=$$!; \
	trap "kill $$pid 2>/dev/null" EXIT; \
	for port in $(DEMO_PORTS); do \
	  for _ in $$(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; sleep 0.1; done; \
	done; \
	echo; echo "== phoenix check-config examples/phoenix.yaml"; \
	$(BIN)/phoenix check-config examples/phoenix.yaml; \
	echo; echo "== phoenix score: everything the demo runs is healthy; cloud signals it cannot reach are unknown"; \
	$(BIN)/phoenix score --config examples/phoenix.yaml; \
	$(BIN)/python -c "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:18082/fault/down', method='POST'))"; \
	echo; echo "== phoenix score: after Service B goes down"; \
	$(BIN)/phoenix score --config examples/phoenix.yaml

bench: system-deps $(BIN)/phoenix
	@command -v rclone >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq rclone >/dev/null; }
	@for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache

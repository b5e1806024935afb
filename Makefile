# The project's two commands: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install when pyproject.toml changes.
STAMP      := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

## Open the TUI on a simulated printer fleet (snmpsim on 127.0.0.1, throwaway data dir).
demo: $(STAMP)
	$(BIN)/tonertrack demo

## Run the guardrails (ruff, import contracts) and the whole test suite (unit, integration, TUI pilot, snapshots).
test: $(TEST_STAMP)
	-@sh scripts/system-packages.sh
	-@[ -x $(BIN)/promtool ] || command -v promtool >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && tmp=$$(mktemp -d) && (cd $$tmp && apt-get download -qq prometheus >/dev/null 2>&1 && dpkg -x prometheus_*.deb x) && cp $$tmp/x/usr/bin/promtool $(BIN)/promtool; rm -rf "$$tmp"; } || true
	$(MAKE) --no-print-directory lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 --dist loadgroup -q

## The guardrails alone: ruff, the import contracts (pyproject.toml), mypy (strict for core).
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

## Benchmarks (figures, not pass/fail).
bench: $(TEST_STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## Re-draw the README's screenshots from the demo fleet.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

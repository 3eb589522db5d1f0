# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project (with its test tools) on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SOAK_SECONDS ?= 600
# The browser tests of the web UI drive Debian's Chromium (Playwright downloads no browser here).
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test serve bench soak lint format clean screenshots

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: the main job — every scenario file against the fakes and the engine, then the coverage table
run: $(STAMP)
	@$(BIN)/hubforce scenarios run --coverage; status=$$?; \
	  echo "Explore the sandbox in a browser: make serve, then open http://127.0.0.1:8100"; exit $$status

## test: lint and the layering contracts, then the whole suite (unit, integration, property, scenarios) on 2 workers
test: $(STAMP) $(CHROMIUM)
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

## chromium: installed with apt-get when missing (as root); otherwise the browser tests fail saying what to install
$(CHROMIUM):
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "browser tests need Chromium at $(CHROMIUM): install the chromium package (apt-get install chromium)"; \
	fi

## screenshots: refresh the README's screenshots (docs/screenshots/) from the browser tests
screenshots: $(STAMP) $(CHROMIUM)
	HUBFORCE_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/browser/test_pages.py -p no:cacheprovider -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .hubforce

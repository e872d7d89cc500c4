# Everything runs from a project-local virtual environment that `make` creates on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv system-deps test test-fast lint demo plugin bench clean

help:
	@echo "make demo    - start the DSS emulator with the sample project and run the drift demo"
	@echo "make test    - lint + the whole test suite with the coverage gate"
	@echo "make system-deps - install Debian's chromium for the browser tests (run as root)"
	@echo "make plugin  - build dist/dss-plugin-dataiku-iac-<version>.zip"
	@echo "make bench   - run the benchmarks and print their figures"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the webapp's browser tests (Playwright drives it; nothing downloads a browser).
# Installed when missing and we are root (CI, fresh machines); otherwise the browser tests say why they skip.
system-deps:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(chromium --version)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium not installed and not root: browser tests will be skipped (sudo make system-deps)"; fi

lint: $(STAMP)
	$(BIN)/ruff check .

test: system-deps lint
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -x -q -p no:cacheprovider $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/dataiku-iac demo

plugin: $(STAMP)
	$(BIN)/python tools/build_plugin.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_diff.py
	$(BIN)/python benchmarks/bench_state_io.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .hypothesis .coverage htmlcov

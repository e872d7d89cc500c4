# Everything runs from a project-local virtual environment that `make` creates on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv system-deps test test-other-pythons test-fast lint demo plugin bench clean

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
	$(MAKE) --no-print-directory test-other-pythons

# DSS code envs run other Pythons than ours: run the library, plugin and sync tests on the oldest and the newest
# we support (3.9, 3.12), each with the plugin code env's own requirements. pyenv's builds of both ship with this
# project's machines. (The one test left out compares pyproject.toml with tomllib, which 3.9 lacks; it runs in the
# main suite.)
OTHER_PYTHONS := 3.9 3.12
PY_TESTS := tests/models tests/test_state_format.py tests/test_canonical.py tests/test_timeutil.py \
            tests/backends tests/test_diff.py tests/report tests/test_manager.py tests/plugin tests/sync \
            tests/config tests/test_accept.py tests/test_permissions.py tests/plan tests/types tests/apply \
            tests/webapp/test_routes.py tests/webapp/test_plan_routes.py tests/webapp/test_plan_apply_routes.py \
            tests/webapp/test_dss_backend.py tests/webapp/test_dss_apply.py

test-other-pythons:
	@for version in $(OTHER_PYTHONS); do \
	  python=$$(ls -d $(HOME)/.pyenv/versions/$$version.*/bin/python 2>/dev/null | head -n 1); \
	  [ -n "$$python" ] || python=$$(command -v python$$version); \
	  if [ -z "$$python" ]; then echo "No Python $$version found (pyenv or python$$version)"; exit 1; fi; \
	  venv=.venv-py$$version; \
	  [ -x $$venv/bin/python ] || $$python -m venv $$venv || exit 1; \
	  $$venv/bin/pip install --quiet -r code-env/python/spec/requirements.txt \
	    pytest==8.3.5 pytest-timeout==2.4.0 hypothesis==6.130.0 || exit 1; \
	  echo "Python $$version: $$($$venv/bin/python --version)"; \
	  PYTHONPATH=python-lib:.:tests/stubs $$venv/bin/python -m pytest -q -p no:cacheprovider -o addopts="" \
	    --deselect tests/plugin/test_descriptors.py::test_the_fallback_pyproject_reader_agrees_with_tomllib \
	    $(PY_TESTS) || exit 1; \
	done

test-fast: $(STAMP)
	$(BIN)/python -m pytest -x -q -p no:cacheprovider -m "not slow" $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/dataiku-iac demo

plugin: $(STAMP)
	$(BIN)/python tools/build_plugin.py

# Every benchmarks/bench_*.py, each printing its machine and date first (benchmarks/machine.py).
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))

bench: $(STAMP)
	@for script in $(BENCHMARKS); do echo; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .venv-py* dist build .pytest_cache .ruff_cache .hypothesis .coverage htmlcov

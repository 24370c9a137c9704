# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint bench package clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed: install it, then e.g. make PYTHON=python3.11 run"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test,package]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)
	@# Qt 6's X11 plugin needs libxcb-cursor0, which minimal Linux desktops lack: say so first.
	@if [ "$$(uname)" = Linux ] && [ -z "$$QT_QPA_PLATFORM" ] && command -v ldconfig >/dev/null \
	  && ! ldconfig -p | grep -q 'libxcb-cursor\.so\.0'; then \
	  echo "Note: Qt needs libxcb-cursor0 for its window (Debian/Ubuntu:" \
	       "sudo apt install libxcb-cursor0); see README, Troubleshooting."; fi
	$(PY) -m tracker_desktop --demo

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench.run_all

package: $(STAMP)
	$(PY) packaging/build.py --self-test

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache

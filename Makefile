# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/chiiki serve

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@if ls bench/*.py >/dev/null 2>&1; then for b in bench/*.py; do $(BIN)/python $$b || exit 1; done; \
	else echo "no benchmarks yet"; fi

lint: $(STAMP)
	$(BIN)/ruff check bot handlers tests

clean:
	rm -rf $(VENV) build *.egg-info

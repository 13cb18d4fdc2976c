# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium; Japanese needs a CJK font to render.
CHROMIUM := /usr/bin/chromium
# The LINE rich menu is drawn with Debian's Noto CJK font (`make fonts` on a server).
FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc
# The suite runs a second time on PostgreSQL, in a throwaway cluster it starts itself
# (tests/pg_cluster.py) with the server programs of Debian's package.
PG_CTL := $(firstword $(wildcard /usr/lib/postgresql/*/bin/pg_ctl) $(shell command -v pg_ctl))
# axe-core for the accessibility test, pinned by tests/axe/package-lock.json (npm registry).
AXE := tests/axe/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-sqlite test-postgresql bench lint clean fonts postgresql

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(CHROMIUM):
	@echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium fonts-noto-cjk

$(FONT):
	@echo "installing Debian's fonts-noto-cjk (Japanese text in the pictures chiiki draws)"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		fonts-noto-cjk

$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@command -v npm >/dev/null || { echo "installing Debian's npm (axe-core for the browser tests)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends npm; }
	cd tests/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

fonts: $(FONT)

postgresql:
ifeq ($(PG_CTL),)
	@echo "installing Debian's postgresql (the suite runs on PostgreSQL too)"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		postgresql
endif

run: $(STAMP)
	$(BIN)/chiiki serve

test: test-sqlite test-postgresql

test-sqlite: $(STAMP) $(CHROMIUM) $(FONT) $(AXE) postgresql
	$(BIN)/python -m pytest

test-postgresql: $(STAMP) $(CHROMIUM) $(FONT) $(AXE) postgresql
	CHIIKI_TEST_DB=postgresql $(BIN)/python -m pytest

# Small sizes by default (under 3 minutes); `make bench BENCH_FLAGS=--full` for the full ones.
BENCHMARKS := answerer webhook broadcast scheduler instances web_chat
bench: $(STAMP) postgresql
	@for b in $(BENCHMARKS); do $(BIN)/python -m bench.$$b $(BENCH_FLAGS) || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check bot handlers tests bench

clean:
	rm -rf $(VENV) build *.egg-info

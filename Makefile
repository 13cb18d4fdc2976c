# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium; Japanese needs a CJK font to render.
CHROMIUM := /usr/bin/chromium
# The LINE rich menu is drawn with Debian's Noto CJK font (`make fonts` on a server).
FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint clean fonts

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

fonts: $(FONT)

run: $(STAMP)
	$(BIN)/chiiki serve

test: $(STAMP) $(CHROMIUM) $(FONT)
	$(BIN)/python -m pytest

# Small sizes by default (under 3 minutes); `make bench BENCH_FLAGS=--full` for the full ones.
BENCHMARKS := webhook broadcast scheduler
bench: $(STAMP)
	@for b in $(BENCHMARKS); do $(BIN)/python -m bench.$$b $(BENCH_FLAGS) || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check bot handlers tests bench

clean:
	rm -rf $(VENV) build *.egg-info

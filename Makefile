# The two commands: `make run` and `make test`. Both create .venv and install when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OMP_NUM_THREADS ?= 2
export OPENBLAS_NUM_THREADS ?= 2
export TOKENIZERS_PARALLELISM := false

.PHONY: run test test-clocks install index chromium fonts screenshots ops-tools bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/reformbot index build --if-missing

run: index
	$(BIN)/reformbot serve

# Browser tests need Debian's chromium (never a browser download), and the PDF tests its print to
# PDF with Japanese text, which needs Debian's Noto CJK fonts.
chromium:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; }

# docs/operations.md is run by tests/test_operations_doc.py: Debian's nginx in front of the server,
# the sqlite3 shell for backups, curl and openssl (nginx is in /usr/sbin, off some users' PATH).
OPS_TOOLS := nginx sqlite3 curl openssl
ops-tools:
	@for t in $(OPS_TOOLS); do command -v $$t >/dev/null 2>&1 || test -x /usr/sbin/$$t || missing=1; done; \
	test -z "$$missing" || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(OPS_TOOLS); }

test: install chromium ops-tools
	$(BIN)/python -m pytest -q

# The whole suite under four time zones, the wall clock started just before and just after
# midnight JST (time-machine, ticking; the monotonic clock is untouched), in the C locale.
CLOCK_ZONES  ?= UTC Asia/Tokyo America/Los_Angeles Pacific/Kiritimati
CLOCK_STARTS ?= 2026-11-27T23:59:30+09:00 2026-11-28T00:00:00+09:00
test-clocks: install chromium ops-tools
	@for tz in $(CLOCK_ZONES); do for start in $(CLOCK_STARTS); do \
	  echo "== TZ=$$tz --clock-start=$$start"; \
	  TZ=$$tz LC_ALL=C $(BIN)/python -m pytest -q -p no:cacheprovider --clock-start=$$start || exit 1; \
	done; done

# The README's pictures (docs/images/): the real index and server in headless Chromium. Japanese
# text needs a CJK font, emoji a colour-emoji font (Debian packages).
fonts:
	@dpkg -s fonts-noto-cjk fonts-noto-color-emoji >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk fonts-noto-color-emoji; }

screenshots: install chromium fonts
	$(BIN)/python scripts/screenshots.py

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache

# Two commands matter: `make run` (back office with demo data on SQLite) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite venv dev-deps chromium fonts screenshots bench bench-pair soak clean translations

$(BIN)/flask: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

venv: $(BIN)/flask

$(VENV)/.dev: $(BIN)/flask
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

dev-deps: $(VENV)/.dev chromium fonts

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work offline.
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

# Tickets and invoices are PDFs with names like Łukasz or Öztürk: they need a Unicode font.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  echo "Installing Debian's DejaVu fonts for ticket and invoice PDFs"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q fonts-dejavu-core; }

run: venv fonts
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: dev-deps
	./scripts/test.sh

test-sqlite: dev-deps
	$(BIN)/pytest -n 2 -q

# After changing texts: collect them from code and templates, merge them into each language's
# messages.po (translate the new, empty ones there), then compile the .mo files the app reads.
translations: venv
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k T_ --add-location=file --sort-by-file --no-wrap \
	  --project=Backoffice --copyright-holder="" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --no-wrap \
	  --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

# Refresh the README's screenshots in docs/ from the browser tests.
screenshots: dev-deps
	UPDATE_SCREENSHOTS=1 TEST_DATABASE=sqlite $(BIN)/pytest -q -n 0 tests/browser

# Two servers on one PostgreSQL under load, then the invariants (scripts/soak.py); not in `make test`,
# which runs a 30-second version under CI=true.
soak: dev-deps
	$(BIN)/python scripts/soak.py --seconds $(or $(SECONDS),120) --clients $(or $(CLIENTS),8) --orders $(or $(N),2000)

# Page times over real HTTP on demo data of N orders (docs/performance.md); not part of `make test`.
# SQLite in /tmp/backoffice-bench-N unless DATABASE_URL is set; BENCH_DIR picks another folder.
bench: venv
	$(BIN)/python scripts/bench.py --orders $(or $(N),100000) --runs $(or $(RUNS),20) $(if $(BENCH_DIR),--dir $(BENCH_DIR))

# The same pages from SQLite and from PostgreSQL (DATABASE_URL) at once, in turns, with the ratio
# of their medians (scripts/bench_pair.py); not part of `make test`.
bench-pair: venv
	$(BIN)/python scripts/bench_pair.py --orders $(or $(N),100000) --runs $(or $(RUNS),30) $(if $(BENCH_DIR),--dir $(BENCH_DIR))

clean:
	rm -rf $(VENV) instance .pytest_cache

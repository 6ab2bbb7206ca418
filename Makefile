# nstsite: `make run` to use the site, `make test` to test it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000
export PORT HOST

.PHONY: run install install-test test lint bench migrate static styles superuser browser clean

# Stamps make a second `make run` skip installing when pyproject.toml has not changed.
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test,lint]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

static: install
	$(PY) manage.py collectstatic --noinput --verbosity 0

styles: migrate
	$(PY) manage.py load_styles

run: migrate static styles
	@echo
	@echo "  nstsite is starting: open http://$(HOST):$(PORT)/  (Ctrl-C stops web server and worker)"
	@echo "  First staff account: make superuser"
	@echo
	$(VENV)/bin/honcho start -f Procfile

superuser: migrate
	$(PY) manage.py createsuperuser

# Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded by
# Playwright) and nginx, whose example configuration (docs/deploy/nginx.conf) a test checks.
browser:
	@{ command -v chromium && command -v nginx; } >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx-light >/dev/null; \
	  else echo "The tests need Debian's chromium and nginx: sudo apt-get install chromium nginx-light"; exit 1; fi; }

# axe-core (npm) for the accessibility test: injected into pages by the test, never served.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "The tests need Node.js and npm (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --silent
	touch $@

test: install-test browser node_modules/.installed
	$(PY) -m pytest

lint: install-test
	$(VENV)/bin/ruff check .

bench: install-test
	$(PY) bench/run.py
	$(PY) bench/throughput.py
	$(PY) bench/video.py
	$(PY) bench/prints.py
	$(PY) bench/tiles.py --quick

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache node_modules

# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test worker beat install messages clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The site with demo data and in-process jobs, at http://127.0.0.1:$(DEMO_PORT) (admin: admin / demo-admin-password).
# Another port: `make demo DEMO_PORT=8001` (the links in the demo's emails follow it).
DEMO_PORT ?= 8000
demo: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 SITE_URL=http://127.0.0.1:$(DEMO_PORT) $(PY) manage.py seed_demo
	DEBUG=1 SITE_URL=http://127.0.0.1:$(DEMO_PORT) $(PY) manage.py runserver 127.0.0.1:$(DEMO_PORT)

# ruff, the apps' import layers, then the whole suite (PostgreSQL/Redis/worker/SMTP/Chromium tests run when configured),
# in one process per core (pytest-xdist; each with its own test database, Redis database, ports and media folder:
# tests/env.py, tests/conftest.py). One process: `make test TEST_WORKERS=0`.
TEST_WORKERS ?= auto
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Started again whenever it exits with an error or is killed (a clean stop, Ctrl-C, ends it).
worker: install
	until $(PY) -m celery -A privacy_portal worker --loglevel=INFO --concurrency=2; do \
		echo "worker exited ($$?); starting it again in 2 s" >&2; sleep 2; done

# Run exactly one beat process per deployment.
beat: install
	$(PY) -m celery -A privacy_portal beat --loglevel=INFO

messages: install
	$(PY) manage.py makemessages -l sw --ignore=.venv --ignore=var --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l sw --ignore=.venv --ignore=var --ignore=staticfiles
	$(PY) manage.py compilemessages -l sw --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles

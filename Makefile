# Set-up and daily commands. `make run` for the demo school, `make test` for the suite.
VENV := .venv
PYTHON := $(VENV)/bin/python
DEV_ENV := DEBUG=1
# `make run PORT=8001` when 8000 is taken.
PORT ?= 8000

.PHONY: install run test lint messages

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install
	$(DEV_ENV) $(PYTHON) manage.py migrate --noinput
	$(DEV_ENV) $(PYTHON) manage.py load_demo
	$(DEV_ENV) $(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

# The suite needs PostgreSQL: DATABASE_URL, or postgres@127.0.0.1:5432 by default.
test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Regenerate the Danish catalogues after changing translatable text.
messages: install
	for app in schoolplan intake absence; do \
	  (cd $$app && $(DEV_ENV) ../$(PYTHON) ../manage.py makemessages -l da --no-obsolete); done
	$(DEV_ENV) $(PYTHON) manage.py makemessages -l da --no-obsolete \
	  --ignore='schoolplan/*' --ignore='intake/*' --ignore='absence/*' \
	  --ignore='.venv/*' --ignore='node_modules/*'
	$(DEV_ENV) $(PYTHON) manage.py compilemessages --ignore='.venv/*' --ignore='node_modules/*'

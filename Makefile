# The two commands of the README: `make run` (the portal on the embedded default) and `make test`;
# `make lint` runs the checks that .ci/run and pre-commit run (ruff, mypy, import contracts, templates).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV := DJANGO_DEBUG=true
# The project's packages mypy checks (mockpsp only where present).
MYPY_PATHS := $(wildcard accounts enrollment payments canteen spid portal mockpsp mockio spididp)

.PHONY: run test lint serve install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)
	bin/system-deps

run: install
	mkdir -p var/mail
	$(DEV) $(BIN)/python manage.py compilemessages -v0 --ignore='.venv/*'
	$(DEV) $(BIN)/python manage.py migrate -v0
	$(DEV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(DEV) $(BIN)/python manage.py seed_demo
	@echo "E-mails are written as files under var/mail/."
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	bin/system-deps --tests
	$(DEV) $(BIN)/python manage.py compilemessages -v0 --ignore='.venv/*'
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PATHS)
	$(BIN)/lint-imports
	$(BIN)/djlint templates --lint

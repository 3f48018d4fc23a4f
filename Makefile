# Two commands set up and run everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export KIVY_HOME ?= $(CURDIR)/var/kivy
export KIVY_NO_ARGS := 1

.PHONY: bootstrap demo test test-dates test-wheel lint lock clean

bootstrap:
	@scripts/bootstrap

demo: bootstrap
	@scripts/demo

# The server, sync and docs tests on two workers; then the kiosk's tests alone, since their real windows
# and idle timers want a core of their own.
test: bootstrap lint
	$(BIN)/python -m pytest -n 2 --ignore=tests/kiosk $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests/kiosk $(PYTEST_ARGS)
	@scripts/test-dates
	@scripts/test-wheel

# The wheel installed in a fresh virtual environment outside the checkout: init, demo, serve, kiosk.
test-wheel: bootstrap
	@scripts/test-wheel

# The date-sensitive tests again at three faked instants (end of a quarter, New Year, a leap day).
test-dates: bootstrap
	@scripts/test-dates

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf var .mypy_cache .pytest_cache .ruff_cache

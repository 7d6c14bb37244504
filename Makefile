# Two commands: `make run` (install, migrate, demo data, serve on 127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint format stop bench clean

run: install
	$(BIN)/python manage.py run_platform

# With no DATABASE_URL / REDIS_URL the test session starts the embedded servers and stops them when it ends.
# One process per core (at most four), each with its own test database and Redis database; a test module stays
# in one process, so its browser and fixtures are set up once.
TEST_PROCESSES ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	DJANGO_SETTINGS_MODULE=config.settings.base DATABASE_URL=postgres://unused/unused \
		$(BIN)/python manage.py compile_translations
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	# The type checker loads the settings, which need a database address; nothing connects to it.
	DATABASE_URL=postgres://unused/unused $(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Stops what `make run` started (.data/run/*.pid: web, simulator, worker and beat, the supervisor), then the
# embedded Redis and PostgreSQL, and names each.
stop:
	$(BIN)/python -m core.embedded stop

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/dashboards.py
	$(BIN)/python bench/sync.py

clean: stop
	rm -rf .data $(VENV)

# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-only system system-test setup db demo bench clean

run: system setup db demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: system-test setup
	$(BIN)/pytest $(PYTEST_ARGS)

# Run the suite without the set-up (used by .ci/run for the PostgreSQL pass).
test-only:
	$(BIN)/pytest $(PYTEST_ARGS)

system:
	@./scripts/install-system-packages.sh

system-test:
	@WITH_BROWSER=1 ./scripts/install-system-packages.sh

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

db: setup
	$(FLASK) db upgrade

demo: setup
	$(FLASK) demo

clean:
	rm -rf $(VENV) instance .pytest_cache

# Province-scale benchmark (issue 9): generates instance/bench-*.sqlite3 once, then
# measures under gunicorn. BENCH_ARGS="--database-url postgresql+psycopg://…" for PostgreSQL.
bench: system setup
	$(BIN)/python -m tests.bench.run $(BENCH_ARGS)

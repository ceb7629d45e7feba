# pyredis: `make run` starts the server, `make test` runs the test suite, `make check` runs the
# linter and the type checker (each sets up first).
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 6379

.PHONY: run test test-io-threads check install system-deps bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,check,uvloop,bench]'
	touch $@

install: $(VENV)/.installed

# The real Redis, for differential tests, redis-cli / redis-benchmark checks and benchmarks.
system-deps:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
	  && command -v redis-benchmark >/dev/null && command -v tclsh >/dev/null \
	  || { apt-get update -q && apt-get install -y -q redis-server redis-tools tcl; }

run: install
	$(VENV)/bin/pyredis-server --bind 127.0.0.1 --port $(PORT)

test: install system-deps
	$(PY) -m pytest -q -p no:cacheprovider

# The core suites against pyredis servers with four I/O threads, reading and writing.
test-io-threads: install system-deps
	PYREDIS_TEST_SERVER_ARGS="--io-threads 4 --io-threads-do-reads yes" $(PY) -m pytest -q \
	  -p no:cacheprovider tests/test_protocol.py tests/test_strings.py tests/test_lists.py \
	  tests/test_pubsub.py tests/test_blocking.py tests/test_transactions.py

# ruff and mypy, as configured in pyproject.toml.
check: install
	$(VENV)/bin/ruff check pyredis scripts
	$(VENV)/bin/mypy pyredis

# The benchmark suite against redis-server; the README's results section is rewritten.
bench: install system-deps
	$(PY) -m pip install -q -e '.[peers]'
	$(PY) -m benchmarks --peers --readme README.md

clean:
	rm -rf $(VENV) build *.egg-info

# pyredis: `make run` starts the server, `make test` runs the test suite, `make check` runs the
# linter and the type checker (each sets up first).
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 6379
# The package's sources: the compiled build (its modules listed in pyredis/build.py) is
# compiled against the types of all of them, and is used only while none has changed.
SOURCES := $(shell find pyredis -name '*.py')
# The test files that also run on the pure-Python build.
PURE_TESTS := tests/test_protocol.py tests/test_parser_hiredis.py tests/test_encoder.py \
	tests/test_strings.py tests/test_keys.py tests/test_lists.py tests/test_hashes.py \
	tests/test_transactions.py tests/test_pubsub.py tests/test_blocking.py tests/test_info.py

.PHONY: run test test-io-threads check install system-deps bench clean

# An editable install of pure Python; the compiled modules are built next, in place.
$(VENV)/.installed: pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	PYREDIS_PURE_PYTHON=1 $(PY) -m pip install -q -e '.[test,check,uvloop,bench]'
	touch $@

# The compiled build beside the sources, built again whenever one of them changes (until
# then pyredis runs them as pure Python). Without a C compiler, or with
# PYREDIS_PURE_PYTHON=1, nothing is compiled.
$(VENV)/.compiled: $(VENV)/.installed setup.py $(SOURCES)
	$(PY) setup.py -q build_ext --inplace
	touch $@

install: $(VENV)/.compiled

# The real Redis, for differential tests, redis-cli / redis-benchmark checks and benchmarks.
system-deps:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
	  && command -v redis-benchmark >/dev/null && command -v tclsh >/dev/null \
	  || { apt-get update -q && apt-get install -y -q redis-server redis-tools tcl; }

run: install
	$(VENV)/bin/pyredis-server --bind 127.0.0.1 --port $(PORT)

# The whole suite on the build `make install` made (compiled where a C compiler is), then
# the core test files on pure Python.
test: install system-deps
	@$(PY) -c 'import pyredis; print("pyredis build:", pyredis.BUILD)'
	$(PY) -m pytest -q -p no:cacheprovider
	PYREDIS_PURE_PYTHON=1 $(PY) -m pytest -q -p no:cacheprovider $(PURE_TESTS)

# The core suites against pyredis servers with four I/O threads, reading and writing.
test-io-threads: install system-deps
	PYREDIS_TEST_SERVER_ARGS="--io-threads 4 --io-threads-do-reads yes" $(PY) -m pytest -q \
	  -p no:cacheprovider tests/test_protocol.py tests/test_strings.py tests/test_lists.py \
	  tests/test_pubsub.py tests/test_blocking.py tests/test_transactions.py

# ruff and mypy, as configured in pyproject.toml (on the sources: no compiled build needed).
check: $(VENV)/.installed
	$(VENV)/bin/ruff check pyredis scripts
	$(VENV)/bin/mypy pyredis

# The benchmark suite against redis-server; the README's results section is rewritten. The
# peers' packages are added without compiling again (make install built the compiled build).
bench: install system-deps
	PYREDIS_PURE_PYTHON=1 $(PY) -m pip install -q -e '.[peers]'
	$(PY) -m benchmarks --peers --readme README.md

clean:
	rm -rf $(VENV) build *.egg-info *.so pyredis/compiled-sources.txt
	find pyredis -name '*.so' -delete

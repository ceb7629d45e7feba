# pyredis: `make run` starts the server, `make test` runs the test suite (both set up first).
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 6379

.PHONY: run test install system-deps bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,uvloop,bench]'
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

# The benchmark suite against redis-server; the README's results section is rewritten.
bench: install system-deps
	$(PY) -m benchmarks --readme README.md

clean:
	rm -rf $(VENV) build *.egg-info

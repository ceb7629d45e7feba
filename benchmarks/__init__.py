"""Benchmarks: pyredis next to the real redis-server, started side by side on free ports.

`python -m benchmarks` (or `make bench`) runs every section and prints the tables; see
__main__.py for the options.
"""

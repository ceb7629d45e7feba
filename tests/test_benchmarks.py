"""A smoke run of the benchmark suite (tiny counts): it starts both servers, runs every
section and writes its tables and result files. It checks the suite works, not speed."""
import importlib.util
import json
import os
import subprocess
import sys

import pyredis
from helpers import ROOT


def _env_outside_make() -> dict:
    """The environment of a direct run: under `make test` MAKELEVEL would make the suite
    report itself as `make bench`."""
    env = {k: v for k, v in os.environ.items() if k != "MAKELEVEL"}
    env["PYTHONPATH"] = ROOT
    return env


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    """python -m <module> <args> from the repository, as a user would run it."""
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env=_env_outside_make())


def has_row(text: str, *cells: str) -> bool:
    """Whether a Markdown table in `text` has a row with these cells."""
    return any(set(cells) <= {cell.strip() for cell in line.split("|")}
               for line in text.splitlines() if line.startswith("|"))


def test_benchmark_suite_smoke_run(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n")
    out = _run("benchmarks", "--quick", "--tests", "PING_MBULK,SET,GET",
               "--out", str(tmp_path), "--readme", str(readme))
    assert out.returncode == 0, out.stderr
    assert "| PING_MBULK |  1 |" in out.stdout and "SET 100KB" in out.stdout
    results = json.loads((tmp_path / "latest.json").read_text())
    tests = {(r["case"]["test"], r["case"]["pipeline"]) for r in results["throughput"]}
    assert ("GET", 16) in tests and ("SET", 1) in tests
    # pyredis is labelled by the build its INFO names; without a compiled build installed,
    # the compiled run is the pure one and is not run twice.
    builds = results["builds"]
    assert set(builds) == {f"pyredis/{io}/{build}" for io in ("selectors", "uvloop")
                           for build in set(builds.values())}
    selectors = next(label for label in builds if label.startswith("pyredis/selectors/"))
    uvloop = next(label for label in builds if label.startswith("pyredis/uvloop/"))
    for case in results["throughput"]:
        for label in ["redis", *builds]:
            sample = case["samples"][label][0]
            assert sample["rps"] > 0 and sample["cpu_us"] > 0
    assert results["keys"][selectors][0]["kind"] == "string"
    assert results["clients"][selectors]["answered"] == 100
    assert results["clients"][uvloop]["answered"] == 100
    assert has_row(out.stdout, "simple CPU/req geomean -P 16", selectors)
    assert has_row(out.stdout, "RSS per small string key", selectors)
    assert (tmp_path / "latest.csv").read_text().startswith("test,pipeline,")
    assert "<!-- benchmark results: start -->" in readme.read_text()
    assert "Command: `python -m benchmarks --quick" in readme.read_text()


def test_benchmark_peers_builds_and_baseline(tmp_path):
    """--peers runs each peer installed (and says which are not), --builds pure forces the
    pure Python build, --baseline runs pyredis from another checkout (this one here)."""
    out = _run("benchmarks", "--quick", "--sections", "throughput", "--io", "selectors",
               "--tests", "PING_MBULK", "--builds", "pure", "--peers",
               "--baseline", ROOT, "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "latest.json").read_text())
    # The baseline is this checkout as built: the build this process runs too.
    assert results["builds"] == {"pyredis/selectors/pure": "pure", "baseline": pyredis.BUILD}
    labels = set(results["throughput"][0]["samples"])
    assert {"redis", "pyredis/selectors/pure", "baseline"} <= labels
    for peer in ("fakeredis", "pyvalkey"):
        installed = importlib.util.find_spec(peer) is not None
        assert (peer in labels) == installed
        assert (f"{peer}: not installed" in out.stderr) != installed
        if installed:
            assert has_row(out.stdout, f"simple rps geomean -P 16 vs {peer}",
                           "pyredis/selectors/pure")


def test_collections_scaling_smoke_run():
    out = _run("benchmarks.collections_scaling", "--sizes", "10,200", "--ops", "50",
               "--rounds", "1", "--redis")
    assert out.returncode == 0, out.stderr
    assert "### pyredis/selectors: microseconds per command" in out.stdout
    assert "| LPUSH+RPOP |" in out.stdout and "| HINCRBY |" in out.stdout
    assert "### redis: microseconds per command" in out.stdout


def test_zset_scaling_smoke_run():
    out = _run("benchmarks.zset_scaling", "--sizes", "20,300", "--ops", "50")
    assert out.returncode == 0, out.stderr
    for row in ("| ZADD (new member) | pyredis/selectors |", "| ZRANK | redis |",
                "| ZRANGE BYSCORE (10) | pyredis/selectors |"):
        assert row in out.stdout


def test_append_scaling_smoke_run():
    out = _run("benchmarks.append_scaling", "--counts", "50,200", "--chunk", "10", "--redis")
    assert out.returncode == 0, out.stderr
    assert "### pyredis/selectors: server CPU µs per command" in out.stdout
    assert "| APPEND |" in out.stdout and "| SETBIT near the end |" in out.stdout
    assert "### redis: server CPU µs per command" in out.stdout


def test_datatypes_scaling_smoke_run():
    out = _run("benchmarks.datatypes_scaling", "--sizes", "30,200", "--ops", "25",
               "--rounds", "1", "--redis")
    assert out.returncode == 0, out.stderr
    for row in ("| XADD MAXLEN N | pyredis/selectors |", "| XREADGROUP COUNT 10 + XACK | redis |",
                "| PFCOUNT (cached) | pyredis/selectors / redis |",
                "| GEOSEARCH BYRADIUS 300 m | pyredis/selectors |"):
        assert row in out.stdout


def test_floor_benchmark_smoke_run():
    """benchmarks.floor runs its floor server beside redis-server and pyredis."""
    out = _run("benchmarks.floor", "--requests", "500", "--rounds", "1")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()[1:]]
    assert [(row[0], row[1]) for row in rows] == [
        (test, p) for p in ("16", "1") for test in ("PING_MBULK", "SET", "GET")]
    assert all(float(value) > 0 for row in rows for value in row[2:5])


def test_replication_benchmark_smoke_run():
    """benchmarks.replication: a full sync and a SET load for every pairing, DEBUG RELOAD."""
    out = _run("benchmarks.replication", "--quick")
    assert out.returncode == 0, out.stderr
    for pair in ("redis -> redis", "pyredis -> pyredis", "redis -> pyredis",
                 "pyredis -> redis"):
        assert out.stdout.count(f"| {pair} |") == 2, out.stdout
    assert "| pyredis |" in out.stdout and "| redis | " in out.stdout


def test_command_path_smoke_run():
    """benchmarks.command_path times each command in a process per build: a row per test
    with a positive figure under each build that runs here."""
    out = _run("benchmarks.command_path", "--tests", "PING,SET,LRANGE_100", "--batches", "5",
               "--repeats", "1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    builds = [cell.split()[0] for cell in lines[0].strip("| ").split(" | ")[1:]]
    assert builds[-1] == "pure" and set(builds) <= {"mypyc", "pure"}
    rows = [line.strip("| ").split(" | ") for line in lines[2:]]
    assert [row[0] for row in rows] == ["PING", "SET", "LRANGE_100"]
    assert all(float(cell.replace(",", "")) > 0 for row in rows for cell in row[1:])

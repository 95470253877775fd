"""`make bench`: what a synth costs (stock loading vs the project's fast provider loading), and
what the test suite's tiers cost (one process vs pytest-xdist).

Prints tables and writes bench/results.json (ignored by git). Every figure is a median over
several runs, measured side by side in this run:

- cold synth of the default app (`python main.py` in a fresh process): stock vs fast, the ratio,
  and each one's peak memory (the Python process and its Node child);
- synth with 1, 10 and 50 module instances in one stack (fast path): how cost grows with size;
- the function's package (code + dependencies installed for Lambda's platform): built with an
  empty cache, with nothing changed, and after a change to handler.py only (no reinstall);
- `terraform validate` of the default stack (offline provider mirror when present);
- `make check` (the fast tier) as the Makefile runs it, in parallel, against the same target in
  one process (`XDIST="-p no:xdist"`), alternating, --check-runs times each;
- with --suite, `make test` (the whole suite) the same two ways, once each: ~20 minutes on a
  2-core machine, so it is opt-in (`make bench BENCH_ARGS=--suite`).

A tier's wall time counts from `make` starting to its exit, pytest's start-up included. A run
with failing tests still counts (its failures are shown beside it): the figure is what it cost.

    python bench/bench.py [--runs 5] [--check-runs 3] [--suite] [--tests-only]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent

from lambda_dynamodb.testing.terraform_cli import terraform_binary, terraform_env

RESULTS = PROJECT_DIR / "bench" / "results.json"
SIZES = (1, 10, 50)

#: Run in a child process: synthesize N module instances in one stack, print the seconds spent
#: building and synthesizing (after the imports).
_SCALE_CHILD = """
import time
from pathlib import Path
from lambda_dynamodb.fast_provider import install
install()
from dataclasses import replace
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from lambda_dynamodb import FunctionSettings, LambdaDynamoDb, LambdaDynamoDbSettings, RoleSettings, TableSettings
started = time.perf_counter()
app = App(outdir={outdir!r})
stack = TerraformStack(app, "scale")
AwsProvider(stack, "aws", region="eu-west-1")
for i in range({count}):
    LambdaDynamoDb(stack, f"m{{i}}", LambdaDynamoDbSettings(
        table=TableSettings(name=f"Table{{i}}"),
        function=FunctionSettings(name=f"fn{{i}}", source_dir=Path({code!r})),
        role=RoleSettings(name=f"role{{i}}", policy_name=f"policy{{i}}"),
    ))
app.synth()
print(time.perf_counter() - started)
"""


#: Run in a child process: build the function's package from CODE with the cache CACHE, print
#: the seconds it took, how many dependency installs it made, and the zip's size.
_PACKAGE_CHILD = """
import time
from pathlib import Path
from lambda_dynamodb import FunctionSettings
from lambda_dynamodb.packaging.code_package import build
cache = Path({cache!r})
installs = lambda: len(list((cache / "dependencies").glob("*"))) if (cache / "dependencies").exists() else 0
before = installs()
started = time.perf_counter()
code = build(FunctionSettings(name="bench", source_dir=Path({code!r})), cache)
print(time.perf_counter() - started, installs() - before, code.function.path.stat().st_size)
"""


#: Runs a command in a fresh helper process and reports its wall time, its peak RSS (the
#: command and the children it waited for, i.e. Python and its Node kernel) and its stdout.
_PROBE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
if result.returncode:
    sys.exit(result.stderr)
print(json.dumps({"wall": wall, "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "stdout": result.stdout}))
"""


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of one run of ``command`` in a fresh process."""
    probe = subprocess.run([sys.executable, "-c", _PROBE, *command], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{probe.stderr}")
    report = json.loads(probe.stdout)
    return report["wall"], report["peak_kib"] / 1024, report["stdout"]


def timed_runs(command: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    measured = [measure(command, env) for _ in range(runs)]
    walls = [wall for wall, _, _ in measured]
    return {"median_s": statistics.median(walls), "min_s": min(walls), "runs": walls, "peak_mib": max(p for _, p, _ in measured)}


def cold_synth(runs: int, base_env: dict[str, str]) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    command = [sys.executable, "main.py"]
    try:
        env = {**base_env, "CDKTF_OUTDIR": str(out / "cdktf.out")}
        stock = timed_runs(command, {**env, "LAMBDA_DYNAMODB_STOCK_PROVIDER": "1"}, runs)
        fast = timed_runs(command, env, runs)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"stock": stock, "fast": fast, "ratio": stock["median_s"] / fast["median_s"]}


def scale(runs: int, env: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for count in SIZES:
        synth_times, walls = [], []
        for _ in range(runs):
            out = tempfile.mkdtemp(prefix="bench-scale-")
            code = _SCALE_CHILD.format(code=str(PROJECT_DIR / "lambda"), outdir=out, count=count)
            wall, _, stdout = measure([sys.executable, "-c", code], env)
            synth_times.append(float(stdout.strip().splitlines()[-1]))
            walls.append(wall)
            shutil.rmtree(out, ignore_errors=True)
        results[str(count)] = {"build_and_synth_s": statistics.median(synth_times), "process_wall_s": statistics.median(walls)}
    return results


PACKAGE_CASES = ("empty cache", "nothing changed", "handler.py changed")


def packaging(runs: int, env: dict[str, str]) -> dict[str, Any]:
    """The default function's package, built three ways per run, each in a fresh process."""
    measured: dict[str, list[tuple[float, int, int]]] = {case: [] for case in PACKAGE_CASES}
    for _ in range(runs):
        work = Path(tempfile.mkdtemp(prefix="bench-package-"))
        try:
            code = work / "lambda"
            shutil.copytree(PROJECT_DIR / "lambda", code, ignore=shutil.ignore_patterns("__pycache__"))
            child = _PACKAGE_CHILD.format(cache=str(work / "cache"), code=str(code))
            for case in PACKAGE_CASES:
                if case == "handler.py changed":
                    with (code / "handler.py").open("a") as handler:
                        handler.write("\n# changed\n")
                _, _, stdout = measure([sys.executable, "-c", child], env)
                seconds, installs, size = stdout.split()
                measured[case].append((float(seconds), int(installs), int(size)))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return {
        case: {"build_s": statistics.median(m[0] for m in rows), "installs": rows[-1][1], "zip_bytes": rows[-1][2]}
        for case, rows in measured.items()
    }


def terraform_validate(runs: int, env: dict[str, str]) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        subprocess.run([sys.executable, "main.py"], cwd=PROJECT_DIR, env={**env, "CDKTF_OUTDIR": str(work / "out")}, check=True, capture_output=True)
        stack = work / "out" / "stacks" / "lambda-dynamodb"
        tf_env = terraform_env(work / "terraform.rc", env)
        binary = terraform_binary()
        started = time.perf_counter()
        subprocess.run([binary, "init", "-backend=false", "-input=false"], cwd=stack, env=tf_env, check=True, capture_output=True)
        init = time.perf_counter() - started
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([binary, "validate"], cwd=stack, env=tf_env, check=True, capture_output=True)
            walls.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"init_s": init, "validate_median_s": statistics.median(walls)}


#: The baseline: the same make target with pytest-xdist turned off (one pytest process).
SERIAL = "-p no:xdist"
#: pytest's closing line: "==== 964 passed, 1 failed in 67.70s (0:01:07) ====".
_SUMMARY = re.compile(r"^=+ (?P<counts>.+?) in (?P<seconds>[\d.]+)s(?: \([\d:]+\))? =+$", re.MULTILINE)
#: pytest-xdist's start: "4 workers [1235 items]".
_WORKERS = re.compile(r"^(\d+) workers? \[", re.MULTILINE)


def make_target(target: str, env: dict[str, str], xdist: str | None = None) -> dict[str, Any]:
    """Wall time of one `make TARGET` (XDIST=... when given), its exit code and pytest's counts."""
    command = ["make", "--no-print-directory", target, *([f"XDIST={xdist}"] if xdist is not None else [])]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    summaries = list(_SUMMARY.finditer(result.stdout))
    if not summaries:
        raise SystemExit(f"{' '.join(command)} printed no pytest summary (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    workers = _WORKERS.search(result.stdout)
    return {"wall_s": wall, "exit": result.returncode, "counts": summaries[-1]["counts"], "workers": int(workers[1]) if workers else 1}


def test_tier(target: str, runs: int, env: dict[str, str]) -> dict[str, Any]:
    """`make TARGET` in parallel (the Makefile's XDIST) and in one process, alternating."""
    measured: dict[str, list[dict[str, Any]]] = {"serial": [], "parallel": []}
    for _ in range(runs):
        measured["serial"].append(make_target(target, env, SERIAL))
        measured["parallel"].append(make_target(target, env))
    figures = {
        way: {
            "median_s": statistics.median(r["wall_s"] for r in rows),
            "runs_s": [r["wall_s"] for r in rows],
            "counts": rows[-1]["counts"],
            "exits": [r["exit"] for r in rows],
            "workers": rows[-1]["workers"],
        }
        for way, rows in measured.items()
    }
    return {**figures, "ratio": figures["serial"]["median_s"] / figures["parallel"]["median_s"]}


def make_env(env: dict[str, str]) -> dict[str, str]:
    """A fresh `make` run's environment: not the options of a `make bench` that started this, and
    outside `pipenv run` (whose .venv/bin on PATH would make the Makefile's python3 the venv's)."""
    fresh = {k: v for k, v in env.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "XDIST", "PIPENV_ACTIVE", "VIRTUAL_ENV")}
    venv_bin = str(Path(env["VIRTUAL_ENV"]) / "bin") if env.get("VIRTUAL_ENV") else None
    fresh["PATH"] = os.pathsep.join(entry for entry in env.get("PATH", "").split(os.pathsep) if entry != venv_bin)
    return fresh


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "node": node, "system": platform.platform()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each synth measure (default 5)")
    parser.add_argument("--check-runs", type=int, default=3, help="runs of make check, each way (default 3)")
    parser.add_argument("--suite", action="store_true", help="also make test, once each way (~20 minutes on 2 cores)")
    parser.add_argument("--tests-only", action="store_true", help="only the test tiers (no synth, package or terraform measures)")
    arguments = parser.parse_args()
    runs = arguments.runs
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env = {k: v for k, v in env.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    results: dict[str, Any] = {"machine": machine(), "runs": runs}
    if not arguments.tests_only:
        results |= {
            "cold_synth": cold_synth(runs, env),
            "scale": scale(max(3, runs // 2), env),
            "packaging": packaging(max(3, runs // 2), env),
            "terraform": terraform_validate(runs, env),
        }
    results["tests"] = {"make check": test_tier("check", arguments.check_runs, make_env(env))}
    if arguments.suite:
        results["tests"]["make test"] = test_tier("test", 1, make_env(env))
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"(figures also in {RESULTS.relative_to(PROJECT_DIR)})")
    return 0


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, Node {m['node']}"]
    if "cold_synth" in results:
        lines += ["", f"medians of {results['runs']} runs", "", *synth_table(results)]
    lines += ["", *tests_table(results["tests"])]
    return "\n".join(lines)


def tests_table(tiers: dict[str, Any]) -> list[str]:
    def cell(way: dict[str, Any]) -> str:
        failed = "" if not any(way["exits"]) else f" ({way['counts']})"
        return f"{way['median_s']:.1f} s{failed}"

    return [
        "| test tier (wall, pytest start-up included) | one process (XDIST=\"-p no:xdist\") | parallel (the Makefile's default) | one process / parallel |",
        "|---|---|---|---|",
        *(
            f"| {name}: {tier['parallel']['counts']}, median of {len(tier['parallel']['runs_s'])} | {cell(tier['serial'])} "
            f"| {cell(tier['parallel'])}, {tier['parallel']['workers']} workers | {tier['ratio']:.2f}x |"
            for name, tier in tiers.items()
        ),
    ]


def synth_table(results: dict[str, Any]) -> list[str]:
    cold, sc, tf = results["cold_synth"], results["scale"], results["terraform"]
    package, uncached = results["packaging"], results["packaging"]["empty cache"]["build_s"]
    return [
        "| measure | stock loading | fast loading | stock / fast |",
        "|---|---|---|---|",
        f"| cold synth of the default app (wall) | {cold['stock']['median_s']:.2f} s | {cold['fast']['median_s']:.2f} s | {cold['ratio']:.1f}x |",
        f"| peak memory (Python + Node) | {cold['stock']['peak_mib']:.0f} MiB | {cold['fast']['peak_mib']:.0f} MiB | {cold['stock']['peak_mib'] / cold['fast']['peak_mib']:.1f}x |",
        "",
        "| module instances in one stack | build + synth | whole process (fast loading) |",
        "|---|---|---|",
        *(f"| {n} | {v['build_and_synth_s']:.2f} s | {v['process_wall_s']:.2f} s |" for n, v in sc.items()),
        "",
        "| the function's package (code + dependencies for Lambda) | build | vs empty cache | dependency installs | zip |",
        "|---|---|---|---|---|",
        *(
            f"| {case} | {v['build_s']:.3f} s | {uncached / v['build_s']:.0f}x faster | {v['installs']} | {v['zip_bytes'] / 1024 / 1024:.1f} MB |"
            if case != "empty cache"
            else f"| {case} | {v['build_s']:.3f} s | 1x | {v['installs']} | {v['zip_bytes'] / 1024 / 1024:.1f} MB |"
            for case, v in package.items()
        ),
        "",
        f"terraform init (mirror): {tf['init_s']:.2f} s; terraform validate: {tf['validate_median_s']:.2f} s (median)",
    ]


if __name__ == "__main__":
    sys.exit(main())

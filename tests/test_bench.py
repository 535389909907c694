"""Benchmarks run on demand; here they only have to run in a tiny configuration and print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_dropin_benchmark_runs_and_prints_its_figures() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "dropin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if ": " in line and "[n=" in line]
    assert [line.split(":")[0] for line in lines] == ["dropin_match_latency", "dropin_end_lateness"]
    assert all("[n=5]" in line for line in lines)


def test_an_unknown_benchmark_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and "unknown benchmark" in result.stderr

"""Benchmarks run on demand; here they only have to run in a tiny configuration and print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import require_chromium

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("name", "figures", "n"),
    [
        ("dropin", ["dropin_match_latency", "dropin_end_lateness"], 5),
        ("browser_call", ["browser_join_to_first_frame", "browser_bare_pair_first_frame"], 2),
        (
            "bot_call",
            ["bot_join_to_first_frame", "bot_bare_pair_first_frame", "bot_call_cpu"],
            None,
        ),
    ],
)
def test_each_benchmark_runs_small_and_prints_its_figures(
    name: str, figures: list[str], n: int
) -> None:
    if name == "browser_call":
        require_chromium()
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if ": " in line and "[n=" in line]
    assert [line.split(":")[0] for line in lines] == figures
    if n is not None:
        assert all(f"[n={n}]" in line for line in lines)


def test_an_unknown_benchmark_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and "unknown benchmark" in result.stderr

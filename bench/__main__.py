"""``python -m bench [--quick] [--out DIR] [NAME ...]``: run benchmarks, print one line per
figure, and write ``results.json``, ``results.md`` and the plots into ``DIR``."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench import (
    abuse,
    big_event,
    browser_call,
    call_setup,
    capacity,
    chat,
    countdown,
    dropin,
    matching,
    places,
    reconnect_storm,
    redis_restart,
    relay,
    scaling,
    screen_share,
    signal_rtt,
    speed_event,
    suggest,
    turn_call,
)
from bench.harness import RESULTS, machine, percentile

Runner = Callable[[bool, str], Coroutine[Any, Any, list[str]]]


def sized(
    run: Callable[..., Coroutine[Any, Any, list[str]]], full: dict[str, Any], quick: dict[str, Any]
) -> Runner:
    """An older bench that takes explicit sizes rather than ``quick``/``out``."""
    return lambda is_quick, _out: run(**(quick if is_quick else full))


def _fuzz_rest(quick: bool, out: str) -> Coroutine[Any, Any, list[str]]:
    # Imported here: schemathesis is in the dev extra, and every other bench runs without it.
    from bench import fuzz_rest

    return fuzz_rest.run(quick, out)


BENCHMARKS: dict[str, Runner] = {
    "match": lambda quick, out: matching.run(quick, out),
    "signal_rtt": lambda quick, out: signal_rtt.run(quick, out),
    "relay": lambda quick, out: relay.run(quick, out),
    "idle_capacity": lambda quick, out: capacity.run(quick, out),
    "call_setup": sized(
        call_setup.run, {"runs": 20, "call_seconds": 30}, {"runs": 2, "call_seconds": 3}
    ),
    "countdown_accuracy": lambda quick, out: countdown.run(quick, out),
    "two_nodes": lambda quick, out: matching.run_two_nodes(quick, out),
    "dropin": sized(dropin.run, {"runs": 20}, {"runs": 5}),
    "browser_call": sized(browser_call.run, {"runs": 10}, {"runs": 2}),
    "reconnect_storm": lambda quick, out: reconnect_storm.run(quick, out),
    "workers": lambda quick, out: scaling.run_workers(quick, out),
    "fanout": lambda quick, out: scaling.run_fanout(quick, out),
    "turn_call": lambda quick, out: turn_call.run(quick, out),
    "chat": lambda quick, out: chat.run(quick, out),
    "screen_share": sized(screen_share.run, {"seconds": 20}, {"seconds": 3}),
    "abuse": lambda quick, out: abuse.run(quick, out),
    "redis_restart": sized(redis_restart.run, {"runs": 5}, {"runs": 1}),
    "big_event": lambda quick, out: big_event.run(quick, out),
    "places": lambda quick, out: places.run(quick, out),
    "suggest": lambda quick, out: suggest.run(quick, out),
    "fuzz_rest": lambda quick, out: _fuzz_rest(quick, out),
    "speed_event": sized(
        speed_event.run, {"per_side": 100, "rounds": 3}, {"per_side": 5, "rounds": 1}
    ),
}


def write_results(out: Path, names: list[str], quick: bool, seconds: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "name": f.name,
            "median": f.median,
            "p95": percentile(f.values, 95),
            "p99": percentile(f.values, 99),
            "n": len(f.values),
            "unit": f.unit,
            "baseline_median": statistics.median(f.baseline) if f.baseline else None,
            "ratio": f.ratio,
            "target": f.target,
            "line": f.line(),
        }
        for f in RESULTS
    ]
    summary = {"machine": machine(), "benchmarks": names, "quick": quick, "seconds": seconds}
    (out / "results.json").write_text(json.dumps({**summary, "figures": rows}, indent=2))
    (out / "results.md").write_text(markdown_table(rows))


def markdown_table(rows: list[dict[str, Any]]) -> str:
    table = [
        "| figure | median | p95 | p99 | n | unit | baseline median | ratio | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        base = "" if row["baseline_median"] is None else f"{row['baseline_median']:.4g}"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        table.append(
            f"| {row['name']} | {row['median']:.4g} | {row['p95']:.4g} | {row['p99']:.4g} "
            f"| {row['n']} | {row['unit']} | {base} | {ratio} | {row['target']} |"
        )
    return "\n".join(table) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny configurations, a smoke run")
    parser.add_argument("--out", default="bench-results", help="where results and plots go")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}; default all"
    )
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    names = args.names or list(BENCHMARKS)
    print(f"# {machine()}", flush=True)
    started = time.monotonic()
    for name in names:
        asyncio.run(BENCHMARKS[name](args.quick, args.out))
    write_results(Path(args.out), names, args.quick, time.monotonic() - started)


if __name__ == "__main__":  # worker processes re-import this module under another name
    main()

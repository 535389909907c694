"""``python -m bench [--quick] [NAME ...]``: run benchmarks and print one line per figure."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bench import bot_call, browser_call, dropin, speed_event

Benchmark = tuple[Callable[..., Coroutine[Any, Any, list[str]]], dict[str, Any], dict[str, Any]]
BENCHMARKS: dict[str, Benchmark] = {
    "dropin": (dropin.run, {"runs": 20}, {"runs": 5}),
    "browser_call": (browser_call.run, {"runs": 10}, {"runs": 2}),
    "speed_event": (speed_event.run, {"per_side": 100, "rounds": 3}, {"per_side": 5, "rounds": 1}),
    "bot_call": (bot_call.run, {"runs": 20, "call_seconds": 30}, {"runs": 2, "call_seconds": 3}),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny configurations, a smoke run")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}; default all"
    )
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    for name in args.names or list(BENCHMARKS):
        run, full, quick = BENCHMARKS[name]
        asyncio.run(run(**(quick if args.quick else full)))


main()

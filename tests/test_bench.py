"""Benchmarks run on demand; here they only have to run in a tiny configuration and print their
figure lines (no timing asserts), and write their results and plots."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent

FIGURES = {
    "match": ["match_throughput", "match_latency@50/s", "match_latency@100/s"],
    "signal_rtt": ["signal_latency@1/s", "signal_peak"],
    "relay": ["relay_peak"],
    "idle_capacity": ["idle_memory_per_connection", "idle_cpu"],
    "call_setup": [
        "call_setup_join_to_frame",
        "call_setup_match",
        "call_setup_offer_answer",
        "call_setup_ice_dtls",
        "call_setup_first_frame",
        "bot_call_cpu",
    ],
    "countdown_accuracy": ["countdown_lateness", "clock_offset_error"],
    "two_nodes": ["two_nodes_throughput"],
    "dropin": ["dropin_match_latency", "dropin_end_lateness"],
    "browser_call": ["browser_join_to_first_frame", "browser_bare_pair_first_frame"],
    "chat": ["chat_latency@1/s"],
    "screen_share": ["share_fps_fake_screen_1080p", "share_fps_code_1080p"],
    "abuse": [
        "login_room_refused",
        "login_flood_through",
        "event_join_flood_through",
        "guest_logins_keys",
        "guest_logins_keys_later",
    ],
    "redis_restart": ["redis_restart_rest_ok", "redis_restart_cross_node"],
    "big_event": ["event_booking", "event_round_spread_big", "event_offer_answer"],
    "speed_event": ["event_round_spread", "event_pairing_500"],
    "reconnect_storm": ["reconnect_storm_back", "reconnect_storm_listen_overflows"],
    "workers": ["workers2_match_throughput", "workers2_signal_peak"],
    "fanout": ["pubsub_fanout_cpu@1", "pubsub_fanout_cpu@2", "pubsub_fanout_cpu@4"],
    "turn_call": ["turn_call_first_frame", "turn_call_connected"],
    "suggest": ["suggest_latency", "suggest_model_memory"],
    "places": ["queue_place_lag"],
    "fuzz_rest": ["fuzz_rest_requests", "fuzz_rest_failures"],
}
WITH_BASELINE = {
    "relay_peak",
    "match_throughput",
    "signal_latency@1/s",
    "signal_peak",
    "idle_memory_per_connection",
    "idle_cpu",
    "call_setup_join_to_frame",
    "call_setup_offer_answer",
    "call_setup_ice_dtls",
    "call_setup_first_frame",
    "two_nodes_throughput",
    "browser_join_to_first_frame",
    "reconnect_storm_back",
    "reconnect_storm_listen_overflows",
    "workers2_match_throughput",
    "workers2_signal_peak",
    "pubsub_fanout_cpu@2",
    "pubsub_fanout_cpu@4",
    "turn_call_first_frame",
    "turn_call_connected",
    "chat_latency@1/s",
}


@pytest.mark.timeout(600)
@pytest.mark.slow
def test_every_benchmark_runs_small_prints_its_figures_and_writes_results(
    tmp_path: Path,
) -> None:
    names = [
        n
        for n in FIGURES
        if (n not in ("browser_call", "screen_share") or shutil.which(CHROMIUM))
        and (n != "turn_call" or shutil.which("turnserver"))
    ]
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path), *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "[n=" in line]
    printed = [line.split(": ")[0] for line in lines]
    assert printed == [figure for name in names for figure in FIGURES[name]]
    for line in lines:
        name = line.split(": ")[0]
        assert ("baseline" in line and "ratio" in line) == (name in WITH_BASELINE), line
    results = json.loads((tmp_path / "results.json").read_text())
    assert [f["name"] for f in results["figures"]] == printed
    assert "| match_throughput |" in (tmp_path / "results.md").read_text()
    for plot in [
        "match_latency",
        "match_load",
        "signal_latency",
        "signal_load",
        "countdown_lateness",
    ]:
        assert (tmp_path / f"{plot}.png").stat().st_size > 1000


def test_an_unknown_benchmark_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and "unknown benchmark" in result.stderr

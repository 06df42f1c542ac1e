"""The benchmark itself still runs: ``bench/run.py --quick`` end to end, figures checked for shape.

No figure is compared with a time here (speed is judged by ``make bench``,
never by a test); what is asserted is that every figure of issue #6 is
produced and that no parked long-poll was missed or woken early.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_produces_every_figure(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = orjson.loads((tmp_path / "latest.json").read_bytes())
    for clients in results["sizes"]["wake_clients"]:
        for side in ("floor", "mockserver"):
            wake = results[side]["wake"][str(clients)]
            assert wake["missed"] == 0 and wake["early"] == 0, (side, clients, wake)
            assert wake["samples"] == clients * wake["rounds"]
            assert wake["server_cpu_us_per_answer"] > 0
    for side in ("floor", "mockserver"):
        assert set(results[side]["send_rate"]) == {"sequential", "concurrent_4"}
    rooms = {"room_small", "room_big", "room_alongside"}
    assert set(results["mockserver"]["initial_sync"]) == rooms | {"many_rooms"}
    assert set(results["mockserver"]["incremental_sync"]) == rooms
    assert set(results["mockserver"]["floor_get"]) == rooms
    assert results["start"]["mockserver_s"] > 0 and results["reset"]["samples"] > 0
    assert results["memory"]["events"] > 0
    for side in ("floor", "mockserver"):
        assert results["media_memory"][side]["rss_after_mib"] > 0
    sliding = results["mockserver"]["sliding"]
    assert set(sliding["first_window"]) == {"sliding", "v3"}
    for clients in results["sizes"]["sliding_wake_clients"]:
        for side in ("sliding", "v3", "floor"):
            wake = sliding["wake"][str(clients)][side]
            assert wake["missed"] == 0 and wake["early"] == 0, (side, clients, wake)
            assert wake["samples"] == clients * wake["rounds"]
    big = results["big_account"]
    for account in (big, big["distinct_stamps"]):
        for kind in ("initial_sync", "initial_sync_lazy"):
            assert account[kind]["bytes"] > 0 and account[kind]["floor"]["p50_ms"] > 0, kind
    figures = {target["figure"] for target in results["targets"]}
    assert len(figures) == len(results["targets"]) >= 12
    assert "| figure" in run.stdout


def test_wake_only_bench_gives_the_wake_up_figures_alone(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--wake-only", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = orjson.loads((tmp_path / "latest.json").read_bytes())
    assert set(results) >= {"floor", "mockserver", "targets"}
    assert "send_rate" not in results["mockserver"]
    clients = sorted(int(c) for c in results["mockserver"]["wake"])
    assert clients == [1, 5, 20]
    for side in ("floor", "mockserver"):
        for count in clients:
            wake = results[side]["wake"][str(count)]
            assert wake["missed"] == 0 and wake["early"] == 0, (side, count, wake)
            assert wake["samples"] == count * wake["rounds"]
            assert wake["server_cpu_us_per_answer"] > 0
    assert {t["figure"] for t in results["targets"]} == {
        f"{kind}, {count} parked"
        for kind in ("wake-up p50 ratio", "no missed or early wake-ups")
        for count in clients
    }
    assert "server CPU per woken answer, 20 parked" in run.stdout


def in_process_figures(script: str, *args: str) -> Any:
    """The JSON figures an in-process bench script prints last."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return orjson.loads(run.stdout.strip().splitlines()[-1])


def test_big_incremental_times_both_worlds() -> None:
    """``bench/big_incremental.py`` (the big account against the small world), scaled down."""
    result = in_process_figures(
        "big_incremental.py", "--rooms", "30", "--rounds", "5", "--parked", "3"
    )
    assert result["rooms"] == {"small world": 32, "big account": 52}
    assert result["parked"] == 3 and result["rounds"] == 5
    for world in ("small world", "big account"):
        assert set(result["us"][world]) == {"incremental", "wake"}
        assert all(value > 0 for value in result["us"][world].values())


def test_big_initial_times_both_initial_syncs() -> None:
    """``bench/big_initial.py`` (the big account's initial syncs in process), scaled down,
    with a message before each answer and this checkout named by ``--code``."""
    result = in_process_figures(
        "big_initial.py", "--rooms", "20", "--rounds", "3", "--touch", "--code", str(ROOT)
    )
    assert set(result) == {"full", "lazy"}
    assert result["full"]["bytes"] > result["lazy"]["bytes"] > 0
    assert all(figures["ms"] > 0 for figures in result.values())

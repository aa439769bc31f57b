"""The hub-role benchmark (`python -m tests.bench.bench_ocpi_hub`) run end to end with tiny numbers, so that
it keeps working as the hub changes: a hub subprocess on SQLite, partners registered through the hub's own
flow, relayed pages checked against the CPO's own, and a broadcast that must reach every receiver. Figures
are not asserted (CI machines vary); only that every part measured what it claims to measure."""

from __future__ import annotations

from pathlib import Path

from tests.bench.bench_ocpi_hub import main_async, parse_args

PARTIES = 3


async def test_benchmark_relays_and_broadcasts_with_tiny_numbers(tmp_path: Path) -> None:
    args = parse_args(
        [
            *("--requests", "10", "--batch", "5", "--warmup", "2", "--page-size", "2"),
            *("--parties", str(PARTIES), "--broadcasts", "2", "--keep", str(tmp_path)),
        ]
    )

    results = await main_async(args)

    relay = results["relay"]
    assert set(relay["variants"]) == {"last_page", "first_page_with_link"}
    for variant in relay["variants"].values():
        for path in ("hub", "direct"):
            assert variant[path]["requests"] == 10
            assert 0 < variant[path]["p50_ms"] <= variant[path]["p99_ms"]
        assert variant["added_p50_ms"] == round(variant["hub"]["p50_ms"] - variant["direct"]["p50_ms"], 3)
    broadcast = results["broadcast"]
    assert broadcast["parties"] == PARTIES
    assert broadcast["all_received"]
    assert [r["received"] for r in broadcast["rounds"]] == [PARTIES, PARTIES]
    assert all(r["outbox_emptied"] for r in broadcast["rounds"])
    assert 0 < broadcast["median_answered_s"] <= broadcast["median_all_s"]
    assert results["machine"].startswith("os.cpu_count()=")

"""`python -m hub tariff price` as an operator runs it from a fresh clone: the sample tariffs and sessions in
fixtures/, exact totals in the priced CDR, the readable breakdown, and exit status 2 on bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TARIFFS = "fixtures/tariffs/examples"
SESSIONS = "fixtures/sessions"
D = Decimal


def run_price(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "tariff", "price", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def price(tariff: str, session: str, *extra: str) -> tuple[str, dict[str, Any], str]:
    """(breakdown, priced CDR, stderr) of a successful run on the sample files."""
    result = run_price("--tariff", f"{TARIFFS}/{tariff}.json", "--cdr", f"{SESSIONS}/{session}.json", *extra)
    assert result.returncode == 0, result.stderr
    breakdown, marker, cdr_json = result.stdout.partition("Priced CDR (OCPI 2.2.1):\n")
    assert marker, result.stdout
    return breakdown, json.loads(cdr_json, parse_float=Decimal), result.stderr


def totals(cdr: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in cdr.items() if key.startswith("total_")}


def row(breakdown: str, *cells: str) -> bool:
    """True when one line of the breakdown holds these cells in this order (other cells may come between)."""
    pattern = r"\s(?:.*\s)?".join(re.escape(cell) for cell in cells)
    return any(re.search(pattern, line) for line in breakdown.splitlines())


def test_time_of_use_splits_the_session_at_the_rate_change() -> None:
    breakdown, cdr, stderr = price("time_of_use", "weekday_evening")
    assert totals(cdr) == {
        "total_cost": {"excl_vat": D("4.22"), "incl_vat": D("5.11")},
        "total_fixed_cost": {"excl_vat": D("0.50"), "incl_vat": D("0.61")},
        "total_energy": D("12"),
        "total_energy_cost": {"excl_vat": D("3.72"), "incl_vat": D("4.50")},
        "total_time": D("3"),
        "total_time_cost": {"excl_vat": 0, "incl_vat": 0},
    }
    # the Session has no end: it ends with its last period's TIME (20:30Z + 3 h)
    assert (cdr["start_date_time"], cdr["end_date_time"]) == ("2026-03-02T20:30:00Z", "2026-03-02T23:30:00Z")
    # CD-09: a new period at 23:00 local (22:00Z), where the weekday rate ends
    starts = [p["start_date_time"] for p in cdr["charging_periods"]]
    assert starts[:2] == ["2026-03-02T20:30:00Z", "2026-03-02T22:00:00Z"]
    assert cdr["charging_periods"][0]["dimensions"][0] == {"type": "ENERGY", "volume": 6}
    assert {p["tariff_id"] for p in cdr["charging_periods"]} == {"TOU-2026"}
    assert (cdr["id"], cdr["session_id"], cdr["cdr_token"]["uid"]) == (
        "8d3e6a10-5f2b-4c7e-9a41-0b6f2d9e7c35",
        "8d3e6a10-5f2b-4c7e-9a41-0b6f2d9e7c35",
        "04A1B2C3D4E5F6",
    )
    assert row(breakdown, "ENERGY", "elements[1]", "2026-03-02 21:30:00", "23:00:00", "6 kWh → 6 kWh")
    assert row(breakdown, "0.38 EUR/kWh", "21 %", "2.28", "2.7588")
    assert row(breakdown, "ENERGY", "elements[2]", "2026-03-02 23:00:00", "2026-03-03 00:30:00")
    assert row(breakdown, "Total", "4.22", "5.11")
    assert "(Europe/Amsterdam)" in breakdown
    assert stderr == ""  # the session names its time zone


def test_parking_and_step_sizes_bill_the_rounded_quantities() -> None:
    breakdown, cdr, stderr = price("parking_and_steps", "charging_then_parking")
    assert totals(cdr) == {
        "total_cost": {"excl_vat": D("10.52"), "incl_vat": D("11.92")},
        "total_fixed_cost": {"excl_vat": D("0.50"), "incl_vat": D("0.60")},
        "total_energy": D("18.34"),
        "total_energy_cost": {"excl_vat": D("5.52"), "incl_vat": D("6.07")},
        "total_time": D("1.8"),
        "total_time_cost": {"excl_vat": D("1.50"), "incl_vat": D("1.65")},
        "total_parking_time": D("0.55"),
        "total_parking_cost": {"excl_vat": D("3.00"), "incl_vat": D("3.60")},
    }
    assert row(breakdown, "ENERGY", "18.34 kWh → 18.4 kWh", "0.30 EUR/kWh", "10 %", "5.52", "6.072")
    assert row(breakdown, "PARKING_TIME", "elements[1]", "0:33:00 → 0:45:00", "4.00 EUR/h", "20 %", "3.00")
    assert row(breakdown, "TIME", "1:15:00 → 1:15:00")  # TA-11: only parking is rounded
    assert row(breakdown, "Total", "10.52", "11.92")
    # the CDR keeps its identity and location; its claimed totals are replaced by the engine's
    assert (cdr["id"], cdr["session_id"]) == ("CDR-2026-000314", "2b7f4e91-3c0a-4d58-8e16-7a9c5b2d0f44")
    assert cdr["cdr_location"]["address"] == "Stationsplein 1"
    assert cdr["tariffs"][0]["id"] == "PARK-STEP"
    assert "restrictions are read in UTC" in stderr  # no time zone in the file nor on the command line


def test_time_zone_option_applies_when_the_file_has_none() -> None:
    breakdown, _, stderr = price(
        "parking_and_steps", "charging_then_parking", "--time-zone", "Europe/Amsterdam"
    )
    assert "session 2026-03-03 10:00:00 → 2026-03-03 11:48:00 (Europe/Amsterdam)" in breakdown
    assert stderr == ""


def test_min_price_raises_a_short_session() -> None:
    breakdown, cdr, _ = price("min_max_price", "short_top_up")
    assert cdr["total_cost"] == {"excl_vat": D("2.50"), "incl_vat": D("3.03")}
    # sub-totals stay as priced, before the bound (TA-14)
    assert cdr["total_fixed_cost"] == {"excl_vat": D("1.00"), "incl_vat": D("1.21")}
    assert cdr["total_energy_cost"] == {"excl_vat": D("0.60"), "incl_vat": D("0.73")}
    assert "sub-totals 1.60 excl. VAT raised to min_price" in breakdown
    assert row(breakdown, "Total", "2.50", "3.03")
    assert cdr["tariffs"][0]["min_price"] == {"excl_vat": D("2.50"), "incl_vat": D("3.03")}


def test_max_price_caps_a_long_session() -> None:
    breakdown, cdr, _ = price("min_max_price", "overnight_fleet")
    assert cdr["total_cost"] == {"excl_vat": D("15.00"), "incl_vat": D("18.15")}
    assert cdr["total_energy_cost"] == {"excl_vat": D("20.00"), "incl_vat": D("24.20")}
    assert "sub-totals 21.00 excl. VAT capped at max_price" in breakdown


def test_peak_valley_tariff_without_vat_in_shanghai() -> None:
    breakdown, cdr, _ = price("peak_valley_cny", "shanghai_evening")
    assert cdr["total_cost"] == {"excl_vat": D("26.95")}  # no component has VAT: incl_vat absent, not 0
    assert cdr["currency"] == "CNY"
    assert "service_price" not in json.dumps(cdr["tariffs"], default=str)  # our extension stays home
    assert row(breakdown, "ENERGY", "elements[1]", "2026-03-02 21:00:00", "22:00:00", "10 kWh → 10 kWh")
    assert row(breakdown, "1.55 CNY/kWh (service 0.60)", "none", "15.50", "—")
    assert row(breakdown, "ENERGY", "elements[0]", "2026-03-02 23:00:00", "23:30:00", "3 kWh → 3 kWh")


def test_json_prints_only_the_priced_cdr() -> None:
    result = run_price(
        "--tariff", f"{TARIFFS}/min_max_price.json", "--cdr", f"{SESSIONS}/short_top_up.json", "--json"
    )
    assert result.returncode == 0, result.stderr
    cdr = json.loads(result.stdout, parse_float=Decimal)
    assert cdr["total_cost"] == {"excl_vat": D("2.50"), "incl_vat": D("3.03")}
    assert '"excl_vat": 2.50' in result.stdout  # exact digits, not a float's


@pytest.mark.parametrize(
    ("options", "excl"),
    [([], "5.76"), (["--rounding", "total"], "5.75"), (["--rounding-mode", "HALF_EVEN"], "5.74")],
)
def test_rounding_options(tmp_path: Path, options: list[str], excl: str) -> None:
    """20.5 kWh at 0.25 (5.125) plus 15 min at 2.50/h (0.625): each line rounds half a cent."""
    tariff = json.loads((REPO / TARIFFS / "parking_and_steps.json").read_text(encoding="utf-8"))
    tariff["elements"] = [
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.25, "step_size": 1},
                {"type": "TIME", "price": 2.50, "step_size": 1},
            ]
        }
    ]
    session = {
        "start_date_time": "2026-03-02T08:00:00Z",
        "end_date_time": "2026-03-02T08:15:00Z",
        "charging_periods": [
            {
                "start_date_time": "2026-03-02T08:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": 20.5}, {"type": "TIME", "volume": 0.25}],
            }
        ],
    }
    (tmp_path / "t.json").write_text(json.dumps(tariff), encoding="utf-8")
    (tmp_path / "s.json").write_text(json.dumps(session), encoding="utf-8")
    result = run_price(
        "--tariff", str(tmp_path / "t.json"), "--cdr", str(tmp_path / "s.json"), "--json", *options
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout, parse_float=Decimal)["total_cost"] == {"excl_vat": D(excl)}


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def sample(name: str) -> Any:
    return json.loads((REPO / name).read_text(encoding="utf-8"))


def broken_tariff(tmp_path: Path) -> list[str]:
    tariff = sample(f"{TARIFFS}/time_of_use.json")
    tariff["elements"][0]["price_components"][0]["price"] = -0.5
    return ["--tariff", write(tmp_path, "t.json", tariff), "--cdr", f"{SESSIONS}/weekday_evening.json"]


def broken_session(tmp_path: Path, change: dict[str, Any]) -> list[str]:
    session = sample(f"{SESSIONS}/short_top_up.json")
    session.update(change)
    return ["--tariff", f"{TARIFFS}/min_max_price.json", "--cdr", write(tmp_path, "s.json", session)]


BAD_VOLUME = [
    {"start_date_time": "2026-03-04T12:00:00Z", "dimensions": [{"type": "ENERGY", "volume": "a lot"}]}
]
OUT_OF_ORDER = [
    {"start_date_time": "2026-03-04T12:10:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]},
    {"start_date_time": "2026-03-04T12:05:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]},
]


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (broken_tariff, "error: tariff: elements[0].price_components[0].price: must not be negative"),
        (
            lambda p: broken_session(p, {"charging_periods": BAD_VOLUME}),
            "error: cdr: charging_periods[0].dimensions[0].volume: not a number: 'a lot'",
        ),
        (lambda p: broken_session(p, {"charging_periods": OUT_OF_ORDER}), "error: cdr: charging_periods[1]"),
        (
            lambda p: broken_session(p, {"currency": "USD"}),
            "error: cdr: currency: USD differs from the tariff's currency EUR",
        ),
        (
            lambda p: broken_session(p, {"time_zone": "Mars/Olympus"}),
            "error: cdr: time_zone: unknown time zone 'Mars/Olympus'",
        ),
        (
            lambda p: broken_session(p, {"end_date_time": None, "charging_periods": []}),
            "error: cdr: end_date_time",
        ),
        (
            lambda p: ["--tariff", str(p / "missing.json"), "--cdr", f"{SESSIONS}/short_top_up.json"],
            "error: tariff: ",
        ),
        (
            lambda p: [
                "--tariff",
                f"{TARIFFS}/min_max_price.json",
                "--cdr",
                write(p, "s.json", '{"start_date_time": '),
            ],
            "error: cdr: ",
        ),
        (
            lambda p: ["--tariff", f"{TARIFFS}/min_max_price.json", "--cdr", write(p, "s.json", "[1, 2]")],
            "error: cdr: expected a JSON object",
        ),
        (
            lambda p: [
                *["--tariff", f"{TARIFFS}/parking_and_steps.json"],
                *["--cdr", f"{SESSIONS}/charging_then_parking.json", "--time-zone", "Nowhere/Town"],
            ],
            "error: --time-zone: unknown time zone 'Nowhere/Town'",
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(tmp_path: Path, make_args: Any, message: str) -> None:
    result = run_price(*make_args(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_missing_and_invalid_files_say_so(tmp_path: Path) -> None:
    missing = run_price("--tariff", str(tmp_path / "nope.json"), "--cdr", f"{SESSIONS}/short_top_up.json")
    assert missing.stderr == f"error: tariff: {tmp_path / 'nope.json'}: no such file\n"
    invalid = run_price("--tariff", write(tmp_path, "t.json", "{"), "--cdr", f"{SESSIONS}/short_top_up.json")
    assert invalid.stderr.startswith(f"error: tariff: {tmp_path / 't.json'}: not valid JSON: ")


def test_help_documents_the_command() -> None:
    result = run_price("--help")
    assert result.returncode == 0
    for text in (
        "--tariff",
        "--cdr",
        "--time-zone",
        "--rounding",
        "--rounding-mode",
        "--json",
        '"time_zone"',
    ):
        assert text in result.stdout
    hub_help = subprocess.run(
        [sys.executable, "-m", "hub", "--help"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert "tariff" in hub_help.stdout

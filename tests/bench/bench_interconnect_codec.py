"""互联互通 envelope codec benchmark: a 2 KB StationInfo through encrypt+sign+verify+decrypt per second on one
core (target 20,000/s, issue 5).

Run (from the repository root; about 15 s, not collected by pytest):

    python -m tests.bench.bench_interconnect_codec [--seconds 5] [--cpu 0] [--json out.json]

The payload is one realistic StationInfo (spec §4: Chinese name and address, GCJ-02 coordinates and powers as
Decimal, a DC and an AC pile with 2 connectors each): 2.3 KB of compact UTF-8 JSON, 3.1 KB of Base64 Data.
Three loops, each after a 1 s warm-up, this process pinned to `--cpu` where the OS allows:

- CRYPTO: the payload bytes → `encrypt` → `request_sig` → `check_request_sig` → `decrypt` (the issue's
  "encrypt+sign+verify+decrypt"; the JSON text is already there, as when a handler's answer is cached);
- ENVELOPE: the payload object → `build_request` (dumps, encrypt, sign) → `read_request_fields` →
  `check_request_sig` → `open_data` (decrypt, loads into Decimals): a full request, both ends;
- JSON: `dumps` + `loads` of the payload alone, to show where the rest of ENVELOPE goes.

Printed per loop: round trips per wall-clock second and µs each, and per CPU-second of this thread (the
same figure on an idle core; on a shared machine the wall figure drops when the core is taken away).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from interconnect import codec
from interconnect.runtime import KeySet
from tests.bench.common import cpu_model, pin_and_describe, write_json

TARGET_PER_S = 20_000
WARMUP_S = 1.0
KEYS = KeySet(
    operator_secret="1234567890abcdef",
    data_secret=b"1234567890abcdef",
    data_iv=b"abcdef1234567890",
    sig_secret=b"0123456789ABCDEF",
)
OPERATOR_ID = "MA01H3BQ2"


def station_info() -> dict[str, Any]:
    """One StationInfo as an operator returns it from query_stations_info (spec §4)."""

    def connector(equipment: int, n: int, dc: bool) -> dict[str, Any]:
        return {
            "ConnectorID": f"3101150000{equipment:02d}{n:02d}",
            "ConnectorName": f"{equipment}号桩{'AB'[n - 1]}枪",
            "ConnectorType": 4 if dc else 3,
            "VoltageUpperLimits": 750 if dc else 220,
            "VoltageLowerLimits": 200 if dc else 220,
            "Current": 250 if dc else 32,
            "Power": Decimal("60.0") if dc else Decimal("7.0"),
            "ParkNo": f"B2-{equipment:02d}{n}",
            "NationalStandard": 2,
        }

    equipment = [
        {
            "EquipmentID": f"31011500000{e:02d}",
            "ManufacturerID": "MA5G6T1X8",
            "ManufacturerName": "上海电驱动设备有限公司",
            "EquipmentModel": "DC120-2G" if e < 2 else "AC7-1G",
            "ProductionDate": "2023-06-15",
            "EquipmentType": 1 if e < 2 else 2,
            "EquipmentLng": Decimal("121.473701") + Decimal(e) / 1_000_000,
            "EquipmentLat": Decimal("31.230416"),
            "Power": Decimal("120.0") if e < 2 else Decimal("14.0"),
            "EquipmentName": f"{e}号直流快充桩" if e < 2 else f"{e}号交流慢充桩",
            "ConnectorInfos": [connector(e, n, e < 2) for n in (1, 2)],
        }
        for e in (1, 2)
    ]
    return {
        "StationID": "310115000001",
        "OperatorID": OPERATOR_ID,
        "EquipmentOwnerID": OPERATOR_ID,
        "StationName": "浦东新区世纪大道公共充电站",
        "CountryCode": "CN",
        "AreaCode": "310115",
        "Address": "上海市浦东新区世纪大道1000号地下二层B区",
        "StationTel": "021-58880000",
        "ServiceTel": "400-820-0000",
        "StationType": 1,
        "StationStatus": 50,
        "ParkNums": 12,
        "StationLng": Decimal("121.473701"),
        "StationLat": Decimal("31.230416"),
        "SiteGuide": "从世纪大道入口进入地下车库，沿指示牌前往B区充电车位",
        "MatchCars": "所有符合国标的电动汽车",
        "ParkInfo": "充电期间停车免费两小时，超时按商场标准收费",
        "BusineHours": "00:00-24:00",
        "ElectricityFee": "峰时1.2000元/度，平时0.8000元/度，谷时0.4000元/度",
        "ServiceFee": "0.8000元/度",
        "ParkFee": "充电免费2小时",
        "Payment": "线上",
        "SupportOrder": 0,
        "Construction": 9,
        "Pictures": [f"https://img.example.cn/stations/310115000001/{i}.jpg" for i in (1, 2)],
        "Remark": "",
        "EquipmentInfos": equipment,
    }


def crypto_round_trip(plain: bytes) -> Callable[[], object]:
    def once() -> object:
        data = codec.encrypt(plain, KEYS.data_secret, KEYS.data_iv)
        sig = codec.request_sig(OPERATOR_ID, data, "20240101120000", "0001", KEYS.sig_secret)
        fields = codec.RequestFields(OPERATOR_ID, data, "20240101120000", "0001", sig)
        codec.check_request_sig(fields, KEYS.sig_secret)
        return codec.decrypt(fields.data, KEYS.data_secret, KEYS.data_iv)

    return once


def envelope_round_trip(payload: dict[str, Any]) -> Callable[[], object]:
    def once() -> object:
        body = codec.build_request(OPERATOR_ID, payload, KEYS, "20240101120000", "0001")
        fields = codec.read_request_fields(body)
        codec.check_request_sig(fields, KEYS.sig_secret)
        return codec.open_data(fields.data, KEYS)

    return once


def json_round_trip(payload: dict[str, Any]) -> Callable[[], object]:
    return lambda: codec.loads(codec.dumps(payload))


def run(call: Callable[[], object], seconds: float) -> tuple[int, float, float]:
    """Call for `seconds` after a warm-up; (calls, elapsed wall s, CPU s of this thread)."""
    deadline = time.perf_counter() + WARMUP_S
    while time.perf_counter() < deadline:
        call()
    count, began, cpu_began = 0, time.perf_counter(), time.thread_time()
    deadline = began + seconds
    while True:
        for _ in range(100):  # read the clock once per 100 calls
            call()
        count += 100
        now = time.perf_counter()
        if now >= deadline:
            return count, now - began, time.thread_time() - cpu_began


def report(name: str, count: int, elapsed: float, cpu: float) -> dict[str, float]:
    per_s, us, cpu_per_s = count / elapsed, elapsed / count * 1e6, count / cpu
    print(
        f"{name:<10} {per_s:>10,.0f} /s {us:>8.1f} µs each  ({count:,} in {elapsed:.1f} s; "
        f"{cpu_per_s:,.0f} per CPU-second)"
    )
    return {"per_s": per_s, "us_each": us, "per_cpu_s": cpu_per_s, "count": count}


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_interconnect_codec", description=summary
    )
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="measured s per loop (default: %(default)s)"
    )
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin this process to")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON here ('-': stdout)")
    args = parser.parse_args(argv)
    pin_and_describe(
        args.cpu, f"os.cpu_count()={os.cpu_count()}, {cpu_model()}; Python {platform.python_version()}"
    )

    payload = station_info()
    plain = codec.dumps(payload)
    envelope = codec.build_request(OPERATOR_ID, payload, KEYS, "20240101120000", "0001")
    assert codec.open_data(envelope["Data"], KEYS) == payload
    print(f"payload: StationInfo, {len(plain):,} bytes JSON, {len(envelope['Data']):,} chars Base64 Data\n")

    results = {
        "crypto": report("CRYPTO", *run(crypto_round_trip(plain), args.seconds)),
        "envelope": report("ENVELOPE", *run(envelope_round_trip(payload), args.seconds)),
        "json": report("JSON", *run(json_round_trip(payload), args.seconds)),
    }
    verdict = "meets" if results["crypto"]["per_s"] >= TARGET_PER_S else "MISSES"
    print(f"\nencrypt+sign+verify+decrypt {verdict} the target of {TARGET_PER_S:,}/s on one core")
    load = os.getloadavg()[0]
    if load >= 1.0:  # other processes shared the core: the wall-clock figures are a lower bound
        print(f"warning: load average {load:.1f} during the run; rerun on an idle machine")
    write_json({"payload_bytes": len(plain), "target_per_s": TARGET_PER_S, **results}, args.json_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m hub tokens …` and `python -m hub ocpi start-session|stop-session` against a running hub (both
storage backends): the parsed command line runs its handler, which talks to the operator API over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.cli import build_parser
from hub.core.models import PartyRef
from tests.conftest import OWN_TOKEN, RunningHub
from tests.fakes.ocpi_partner import FakePartner, bind_public_url
from tests.fakes.ocpi_partner.connected import connect_platform

PARTNER_TOKEN = "partner-to-hub-token-cli"
HUB_TOKEN = "hub-to-partner-token-cli"
ADMIN_TOKEN = "admin-secret-for-the-cli"
MSP = PartyRef(country_code="NL", party_id="MSP")


@dataclass
class Env:
    hub: RunningHub
    partner: FakePartner
    tmp_path: Path

    async def run(self, *argv: str, token: str = ADMIN_TOKEN) -> int:
        args = build_parser().parse_args([*argv, "--url", self.hub.url, "--token", token])
        return int(await args.run(args))


def printed_json(out: str) -> Any:
    """The JSON document the command printed (the hub runs in-process: its log lines share stdout)."""
    lines = out.splitlines()
    start = lines.index("{")
    end = lines.index("}", start)
    return json.loads("\n".join(lines[start : end + 1]))


@pytest.fixture
async def env(make_hub: Callable[..., Awaitable[RunningHub]], tmp_path: Path) -> AsyncIterator[Env]:
    hub = await make_hub(
        admin={"token": ADMIN_TOKEN},
        ocpi={"allow_private_urls": True, "secret_key_file": str(tmp_path / "key")},
    )
    bind_public_url(hub)
    async with FakePartner(roles=[("DE", "CPX", "CPO")], name="Charge X") as partner:
        await connect_platform(hub, partner, hub_token=HUB_TOKEN, partner_token=PARTNER_TOKEN)
        yield Env(hub, partner, tmp_path)


async def test_tokens_import_csv_imports_good_rows_and_names_bad_ones_by_line(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = env.tmp_path / "tokens.csv"
    csv_file.write_text(
        "uid,type,contract_id,visual_number,issuer,group_id,valid,whitelist,language\n"
        "CSV001,RFID,NL-MSP-C001,0001,Own eMSP,G1,true,ALLOWED,nl\n"
        "CSV002,RFID,,0002,Own eMSP,,true,ALLOWED,\n"
        "CSV003,APP_USER,NL-MSP-C003,,,,no,NEVER,\n",
        encoding="utf-8",
    )

    code = await env.run("tokens", "import", str(csv_file))

    out = capsys.readouterr().out
    assert code == 1
    assert "tokens.csv: 3 rows, 2 imported, 0 unchanged, 0 blank, 1 refused" in out
    assert "row 3 (uid CSV002): contract_id is required" in out
    first = await env.hub.core.tokens.get("CSV001", MSP)
    third = await env.hub.core.tokens.get("CSV003", MSP)
    assert first is not None
    assert third is not None
    assert (first.group_id, first.language, first.own) == ("G1", "nl", True)
    assert (str(third.type), third.valid, third.issuer) == ("APP_USER", False, "Own eMSP")


async def test_tokens_import_of_a_long_json_file_prints_progress(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"uid": f"J{i:04d}", "contract_id": f"NL-MSP-J{i:04d}"} for i in range(501)]
    json_file = env.tmp_path / "tokens.json"
    json_file.write_text(json.dumps(rows), encoding="utf-8")

    code = await env.run("tokens", "import", str(json_file))

    captured = capsys.readouterr()
    assert code == 0
    assert "501 rows, 501 imported" in captured.out
    assert "500/501 rows" in captured.err
    assert "501/501 rows" in captured.err
    assert len(await env.hub.core.tokens.list(MSP)) == 502


async def test_tokens_import_refuses_an_unreadable_file(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env.tmp_path / "bad.csv"
    bad.write_text("uid,colour\nX,red\n", encoding="utf-8")

    code = await env.run("tokens", "import", str(bad))

    assert code == 1
    assert "unknown CSV column(s) colour" in capsys.readouterr().err


async def test_tokens_distribution_and_block(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    listed = await env.run("tokens", "distribution")
    shown = capsys.readouterr().out
    blocked = await env.run("tokens", "block", OWN_TOKEN)
    block_out = capsys.readouterr().out
    await env.partner.wait_for_calls(f"/receiver/tokens/NL/MSP/{OWN_TOKEN}", "PUT", within=10)

    assert listed == 0
    assert "no token has been pushed" in shown or "DE*CPX Charge X [platform-cpx]" in shown
    assert blocked == 0
    assert printed_json(block_out)["token"]["valid"] is False
    token = await env.hub.core.tokens.get(OWN_TOKEN, MSP)
    assert token is not None
    assert token.valid is False


async def test_a_wrong_admin_token_fails_with_the_error_on_stderr(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await env.run("tokens", "distribution", token="wrong")

    assert code == 1
    assert "HTTP 401" in capsys.readouterr().err


async def test_ocpi_start_session_waits_for_the_command_result(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    running = asyncio.create_task(
        env.run(
            "ocpi", "start-session", "--token-uid", OWN_TOKEN, "--location", "LOC-9", "--evse", "EVSE-1",
            "--cpo", "DE*CPX", "--wait", "20",
        )
    )  # fmt: skip
    [call] = await env.partner.wait_for_calls("/receiver/commands/START_SESSION", "POST", within=10)
    answered = await env.partner.client(env.hub.url).post(
        call.json["response_url"], json={"result": "ACCEPTED"}
    )

    async with asyncio.timeout(20):
        code = await running
    out = capsys.readouterr().out
    assert answered.status_code == 1000
    assert code == 0
    assert '"result": "ACCEPTED"' in out
    assert out.index("result:") > out.index('"command_id"')


async def test_ocpi_stop_session_prints_the_cpos_answer(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    code = await env.run("ocpi", "stop-session", "--session", "SES-7", "--cpo", "DE*CPX")

    assert code == 0
    printed = printed_json(capsys.readouterr().out)
    assert printed["response"]["result"] == "ACCEPTED"
    [call] = env.partner.calls_to("/receiver/commands/STOP_SESSION", "POST")
    assert call.json["session_id"] == "SES-7"

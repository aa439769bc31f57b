"""OCPI registrations by the operator (CR-13): the `/admin/ocpi/` API over real HTTP on both backends, and
`python -m hub ocpi …` as a real process against a running hub and a fake partner platform."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from hub.core.models import PlatformStatus
from tests.conftest import REPO, RunningHub
from tests.fakes.ocpi_partner import FakePartner, bind_public_url

MakeHub = Callable[..., Awaitable[RunningHub]]
ADMIN_TOKEN = "ocpi-admin-token-4b3a2c1d"
SECRET_FIELDS = ("token", "invitation_token", "inbound_token", "outbound_token", "previous_inbound_token")


async def api(
    hub: RunningHub, method: str, path: str, *, json_body: Any = None, token: str | None = ADMIN_TOKEN
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, hub.url + path, json=json_body, headers=headers) as response,
    ):
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def run_cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def hub(make_hub: MakeHub) -> RunningHub:
    hub = await make_hub(admin={"token": ADMIN_TOKEN}, ocpi={"allow_private_urls": True})
    bind_public_url(hub)
    return hub


@pytest.fixture
async def partner() -> AsyncIterator[FakePartner]:
    async with FakePartner() as fake:
        yield fake


# --- Operator API -------------------------------------------------------------------------------------------


async def test_cr13_admin_invitation_lets_a_partner_register(hub: RunningHub, partner: FakePartner) -> None:
    status, invitation = await api(hub, "POST", "/admin/ocpi/invitations", json_body={"name": "Partner X"})

    assert status == 201
    assert invitation["versions_url"] == f"{hub.url}/ocpi/versions"
    answer = await partner.register_with(invitation["versions_url"], invitation["token"])
    assert answer.status_code == 1000
    _, listing = await api(hub, "GET", "/admin/ocpi/platforms")
    [entry] = listing["platforms"]
    assert entry["id"] == invitation["platform_id"]
    assert entry["name"] == "Partner X"
    assert entry["status"] == "CONNECTED"
    assert entry["version"] == "2.2.1"
    assert entry["roles"] == [{"role": "EMSP", "party": "DE*PRT", "name": "Fake Partner"}]
    assert entry["endpoints"] == len(partner.endpoints())
    assert entry["registered_at"]
    assert not set(SECRET_FIELDS) & set(entry)


async def test_cr13_admin_register_update_and_unregister_a_partner(
    hub: RunningHub, partner: FakePartner
) -> None:
    versions_url, token_a = partner.invite()

    status, registered = await api(
        hub, "POST", "/admin/ocpi/register", json_body={"versions_url": versions_url, "token": token_a}
    )
    assert status == 201
    assert registered["status"] == "CONNECTED"
    assert registered["name"] == "127.0.0.1"  # the partner's host when no name is given
    platform_id = registered["id"]
    old_c = partner.inbound_token

    status, updated = await api(hub, "POST", f"/admin/ocpi/platforms/{platform_id}/update")
    assert status == 200
    assert updated["status"] == "CONNECTED"
    assert partner.calls_to("/credentials", "PUT")[0].token == old_c
    assert partner.inbound_token != old_c

    status, gone = await api(hub, "DELETE", f"/admin/ocpi/platforms/{platform_id}")
    assert status == 200
    assert gone["status"] == "SUSPENDED"
    assert partner.calls_to("/credentials", "DELETE")
    platform = await hub.core.platforms.get(platform_id)
    assert platform is not None
    assert platform.status is PlatformStatus.SUSPENDED


async def test_cr13_admin_registration_failures_name_the_ocpi_status(hub: RunningHub) -> None:
    async with FakePartner(versions=("2.1.1",)) as old:
        versions_url, token_a = old.invite()
        status, body = await api(
            hub, "POST", "/admin/ocpi/register", json_body={"versions_url": versions_url, "token": token_a}
        )
    assert status == 502
    assert body["status_code"] == 3002
    assert "2.2.1" in body["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/admin/ocpi/invitations", {}, 400),
        ("POST", "/admin/ocpi/invitations", {"name": 7}, 400),
        ("POST", "/admin/ocpi/register", {"token": "a"}, 400),
        ("POST", "/admin/ocpi/register", {"versions_url": "ftp://x/versions", "token": "a"}, 400),
        ("POST", "/admin/ocpi/platforms/nope/update", None, 404),
        ("DELETE", "/admin/ocpi/platforms/nope", None, 404),
        ("GET", "/admin/ocpi/nothing-here", None, 404),
    ],
)
async def test_cr13_admin_errors_are_json(
    hub: RunningHub, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    got, answer = await api(hub, method, path, json_body=body)

    assert got == status
    assert isinstance(answer["error"], str)


async def test_cr13_admin_update_of_an_unregistered_platform_is_409(hub: RunningHub) -> None:
    _, invitation = await api(hub, "POST", "/admin/ocpi/invitations", json_body={"name": "Later"})

    status, body = await api(hub, "POST", f"/admin/ocpi/platforms/{invitation['platform_id']}/update")

    assert status == 409
    assert "not registered" in body["error"]


async def test_cr13_admin_unregister_revokes_an_invitation(hub: RunningHub, partner: FakePartner) -> None:
    _, invitation = await api(hub, "POST", "/admin/ocpi/invitations", json_body={"name": "Revoked"})

    status, gone = await api(hub, "DELETE", f"/admin/ocpi/platforms/{invitation['platform_id']}")
    answer = await partner.client(hub.url).get("/ocpi/versions", token=invitation["token"])

    assert status == 200
    assert gone["status"] == "SUSPENDED"
    assert answer.status == 401


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_cr13_admin_requires_the_bearer_token(hub: RunningHub, token: str | None) -> None:
    status, body = await api(hub, "GET", "/admin/ocpi/platforms", token=token)

    assert status == 401
    assert body == {"error": "unauthorized"}


async def test_cr13_admin_is_disabled_without_a_token(make_hub: MakeHub) -> None:
    hub = await make_hub()

    status, body = await api(hub, "POST", "/admin/ocpi/invitations", json_body={"name": "x"})

    assert status == 404
    assert "disabled" in body["error"]


# --- Command line -------------------------------------------------------------------------------------------


def cli_args(hub: RunningHub) -> tuple[str, ...]:
    return ("--url", hub.url, "--token", ADMIN_TOKEN)


async def test_cr13_cli_ocpi_invite_prints_the_token_and_versions_url(
    hub: RunningHub, partner: FakePartner
) -> None:
    code, out, err = await run_cli("ocpi", "invite", "--name", "CLI Partner", *cli_args(hub))

    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert printed["versions_url"] == f"{hub.url}/ocpi/versions"
    assert (await partner.register_with(printed["versions_url"], printed["token"])).status_code == 1000


async def test_cr13_cli_ocpi_register_platforms_update_unregister(
    hub: RunningHub, partner: FakePartner
) -> None:
    versions_url, token_a = partner.invite()

    code, out, err = await run_cli(
        "ocpi",
        "register",
        "--versions-url",
        versions_url,
        f"--token-a={token_a}",  # a partner's token may start with "-": the `=` form always parses
        "--name",
        "Remote",
        *cli_args(hub),
    )
    assert (code, err) == (0, "")
    platform_id = json.loads(out)["id"]

    code, out, _ = await run_cli("ocpi", "platforms", *cli_args(hub))
    assert code == 0
    assert [(p["name"], p["status"]) for p in json.loads(out)["platforms"]] == [("Remote", "CONNECTED")]
    assert token_a not in out
    assert partner.inbound_token
    assert partner.inbound_token not in out

    code, out, err = await run_cli("ocpi", "update", "--platform", platform_id, *cli_args(hub))
    assert (code, err) == (0, "")
    assert partner.calls_to("/credentials", "PUT")

    code, out, err = await run_cli("ocpi", "unregister", "--platform", platform_id, *cli_args(hub))
    assert (code, err) == (0, "")
    assert json.loads(out)["status"] == "SUSPENDED"


async def test_cr13_cli_ocpi_reports_errors_on_stderr(hub: RunningHub) -> None:
    code, out, err = await run_cli("ocpi", "update", "--platform", "unknown", *cli_args(hub))
    wrong, _, denied = await run_cli("ocpi", "platforms", "--url", hub.url, "--token", "wrong")

    assert (code, out) == (1, "")
    assert "HTTP 404" in err
    assert wrong == 1
    assert "HTTP 401" in denied


def test_cr13_cli_ocpi_every_sub_command_has_help() -> None:
    import subprocess

    for command in ("invite", "register", "platforms", "update", "unregister"):
        result = subprocess.run(
            [sys.executable, "-m", "hub", "ocpi", command, "--help"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, command
        assert "--url" in result.stdout, command

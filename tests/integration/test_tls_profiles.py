"""OCPP security profiles 2 and 3 (1.6 Security Whitepaper ed. 2 §2, 2.0.1 Part 2 A00) against the real app
over TLS on loopback, with certificates from `hub.certs.write_dev_certs`:

- profile 2: `wss://`, TLS ≥ 1.2 with the hub's server certificate, HTTP Basic auth (username = station id);
- profile 3: `wss://` with a client certificate whose chain the hub verifies and whose CN is the station id.
"""

from __future__ import annotations

import ssl
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.certs import write_dev_certs
from hub.ocpp.simulator import OCPP16, OCPP201, SimulatedStation, client_ssl_context
from tests.conftest import CP001_PASSWORD, RunningHub

STATIONS = ("CP001", "CP002", "NEW001")
TlsHub = Callable[[str], Awaitable[RunningHub]]


@pytest.fixture
def backend() -> str:
    """TLS is independent of the storage backend: SQLite only."""
    return "sqlite"


@pytest.fixture
def certs(tmp_path: Path) -> dict[str, Path]:
    return write_dev_certs(tmp_path / "certs", stations=STATIONS, organization="Own CPO")


@pytest.fixture
def tls_hub(make_hub: Callable[..., Awaitable[RunningHub]], certs: dict[str, Path]) -> TlsHub:
    async def start(client_certificates: str) -> RunningHub:
        tls: dict[str, Any] = {
            "cert_file": str(certs["server_cert"]),
            "key_file": str(certs["server_key"]),
            "client_certificates": client_certificates,
        }
        if client_certificates != "none":
            tls["ca_file"] = str(certs["ca_cert"])
        hub = await make_hub(tls=tls)
        assert hub.ws_url("CP001").startswith("wss://127.0.0.1:")
        return hub

    return start


def station_context(certs: dict[str, Path], client_cert_of: str | None = None) -> ssl.SSLContext:
    if client_cert_of is None:
        return client_ssl_context(certs["ca_cert"])
    return client_ssl_context(
        certs["ca_cert"], certs[f"{client_cert_of}_cert"], certs[f"{client_cert_of}_key"]
    )


def tls_version(station: SimulatedStation) -> str:
    assert station._ws is not None
    ssl_object = station._ws.get_extra_info("ssl_object")
    assert ssl_object is not None
    return str(ssl_object.version())


# Failures of the TLS handshake itself (no HTTP status): the server drops the connection.
HANDSHAKE_FAILURES = (aiohttp.ClientConnectionError, ssl.SSLError, ConnectionError)


async def connect_and_boot(station: SimulatedStation) -> None:
    """With TLS 1.3 the client may learn of the server's refusal only at its first read."""
    try:
        await station.connect()
        await station.boot()
    finally:
        await station.close()


def test_dev_certs_name_the_station_and_cpo_and_keep_keys_private(tmp_path: Path) -> None:
    paths = write_dev_certs(
        tmp_path, hostnames=("hub.example", "10.0.0.5"), stations=("CP001",), organization="ACME"
    )
    station = x509.load_pem_x509_certificate(paths["CP001_cert"].read_bytes())
    assert station.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP001"  # A00.FR.405
    assert station.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ACME"  # A00.FR.404
    usage = station.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    server = x509.load_pem_x509_certificate(paths["server_cert"].read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["hub.example"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    for key in ("ca_key", "server_key", "CP001_key"):
        assert stat.S_IMODE(paths[key].stat().st_mode) == 0o600
    # a second run for another station keeps the CA, so earlier certificates stay valid
    again = write_dev_certs(tmp_path, stations=("CP002",), organization="ACME")
    assert again["ca_cert"].read_bytes() == paths["ca_cert"].read_bytes()
    ca = x509.load_pem_x509_certificate(again["ca_cert"].read_bytes())
    station.verify_directly_issued_by(ca)
    x509.load_pem_x509_certificate(again["CP002_cert"].read_bytes()).verify_directly_issued_by(ca)


def test_certs_dev_command_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hub.cli import main

    assert main(["certs", "dev", "--out", str(tmp_path / "out"), "--station", "CP009"]) == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "ca.pem",
        "ca.key",
        "server.pem",
        "server.key",
        "station-CP009.pem",
        "station-CP009.key",
    }
    assert "client_certificates" in capsys.readouterr().out


@pytest.mark.parametrize("protocol", [OCPP16, OCPP201])
async def test_profile2_station_charges_over_wss_with_basic_auth(
    tls_hub: TlsHub, certs: dict[str, Path], protocol: str
) -> None:
    hub = await tls_hub("none")
    station = SimulatedStation(
        hub.ws_url(), "CP001", protocol, password=CP001_PASSWORD, ssl=station_context(certs)
    )
    async with station:
        assert station.negotiated_protocol == protocol
        assert tls_version(station) in {"TLSv1.2", "TLSv1.3"}
        assert (await station.boot())["status"] == "Accepted"
        await station.charge(energy_wh=1_000, samples=1)
    assert len(station.transactions) == 1
    assert all(tx.ended for tx in station.transactions.values())


async def test_profile2_wrong_password_is_refused_with_401(tls_hub: TlsHub, certs: dict[str, Path]) -> None:
    hub = await tls_hub("none")
    station = SimulatedStation(
        hub.ws_url(), "CP001", password="wrong-password-123", ssl=station_context(certs)
    )
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await station.connect()
    assert refused.value.status == 401


async def test_profile2_plain_websocket_to_the_tls_port_gets_no_connection(tls_hub: TlsHub) -> None:
    hub = await tls_hub("none")
    plain_url = hub.ws_url().replace("wss://", "ws://")
    station = SimulatedStation(plain_url, "CP001", password=CP001_PASSWORD)
    with pytest.raises(HANDSHAKE_FAILURES):
        await station.connect()


async def test_profile2_server_certificate_names_localhost_and_loopback(
    tls_hub: TlsHub, certs: dict[str, Path]
) -> None:
    hub = await tls_hub("none")
    by_name = hub.ws_url().replace("127.0.0.1", "localhost")
    station = SimulatedStation(by_name, "CP001", password=CP001_PASSWORD, ssl=station_context(certs))
    async with station:
        assert (await station.boot())["status"] == "Accepted"
    untrusting = SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD, ssl=client_ssl_context())
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await untrusting.connect()


async def test_profile3_client_certificate_admits_the_station_named_in_its_cn(
    tls_hub: TlsHub, certs: dict[str, Path]
) -> None:
    hub = await tls_hub("required")
    station = SimulatedStation(hub.ws_url(), "CP001", OCPP201, ssl=station_context(certs, "CP001"))
    async with station:
        assert (await station.boot())["status"] == "Accepted"
        await station.heartbeat()


async def test_profile3_certificate_of_another_station_is_refused(
    tls_hub: TlsHub, certs: dict[str, Path]
) -> None:
    hub = await tls_hub("required")
    station = SimulatedStation(hub.ws_url(), "CP001", ssl=station_context(certs, "CP002"))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await station.connect()
    assert refused.value.status == 401


async def test_profile3_required_certificate_missing_fails_the_tls_handshake(
    tls_hub: TlsHub, certs: dict[str, Path]
) -> None:
    hub = await tls_hub("required")
    station = SimulatedStation(hub.ws_url(), "CP001", password=CP001_PASSWORD, ssl=station_context(certs))
    with pytest.raises(HANDSHAKE_FAILURES):
        await connect_and_boot(station)


async def test_profile3_certificate_from_another_ca_fails_the_tls_handshake(
    tls_hub: TlsHub, certs: dict[str, Path], tmp_path: Path
) -> None:
    hub = await tls_hub("required")
    foreign = write_dev_certs(tmp_path / "foreign", stations=("CP001",), organization="Own CPO")
    context = client_ssl_context(certs["ca_cert"], foreign["CP001_cert"], foreign["CP001_key"])
    station = SimulatedStation(hub.ws_url(), "CP001", ssl=context)
    with pytest.raises(HANDSHAKE_FAILURES):
        await connect_and_boot(station)


async def test_optional_client_certificates_serve_profiles_2_and_3_on_one_port(
    tls_hub: TlsHub, certs: dict[str, Path]
) -> None:
    hub = await tls_hub("optional")
    with_password = SimulatedStation(
        hub.ws_url(), "CP001", password=CP001_PASSWORD, ssl=station_context(certs)
    )
    with_certificate = SimulatedStation(hub.ws_url(), "NEW001", OCPP201, ssl=station_context(certs, "NEW001"))
    async with with_password, with_certificate:
        assert (await with_password.boot())["status"] == "Accepted"
        assert (await with_certificate.boot())["status"] == "Accepted"
    # without a password, and with a certificate for a different identity: refused
    mismatched = SimulatedStation(hub.ws_url(), "CP001", ssl=station_context(certs, "NEW001"))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await mismatched.connect()
    assert refused.value.status == 401

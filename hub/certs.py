"""Development certificates for OCPP security profiles 2 and 3: a dev CA, the hub's server certificate and one
client certificate per station (CN = station id, O = the CPO; Security Whitepaper A00.FR.404/405).

Composition-layer tool (`python -m hub certs dev`): imports the standard library and `cryptography` only.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_ORGANIZATION = "ocpi-hub dev CPO"
CA_DAYS = 3650
LEAF_DAYS = 825  # the longest lifetime common TLS clients accept for a leaf certificate

PrivateKey = ec.EllipticCurvePrivateKey


def _new_key() -> PrivateKey:
    # P-256 ECDSA: accepted by the 1.6 Security Whitepaper / 2.0.1 Part 2 A00 cipher suites, fast to make
    return ec.generate_private_key(ec.SECP256R1())


def _write_private_key(path: Path, key: PrivateKey) -> None:
    """PEM, unencrypted (dev only), readable by the owner only (0600) from the first byte on."""
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT


def _write_certificate(path: Path, certificate: x509.Certificate) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make_ca(organization: str, now: datetime) -> tuple[x509.Certificate, PrivateKey]:
    key = _new_key()
    name = _name(f"{organization} dev CA", organization)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _make_leaf(
    ca_certificate: x509.Certificate,
    ca_key: PrivateKey,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    now: datetime,
    alt_names: Sequence[x509.GeneralName] = (),
) -> tuple[x509.Certificate, PrivateKey]:
    key = _new_key()
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(alt_names)), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _alt_name(hostname: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)


def station_file_stem(station_id: str) -> str:
    """`station-<id>` with anything unsafe in a file name replaced by `_`."""
    return "station-" + re.sub(r"[^A-Za-z0-9._-]", "_", station_id)


def _load_ca(directory: Path) -> tuple[x509.Certificate, PrivateKey] | None:
    cert_path, key_path = directory / "ca.pem", directory / "ca.key"
    if not (cert_path.exists() and key_path.exists()):
        return None
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path}: expected an EC private key")
    return certificate, key


def write_dev_certs(
    directory: Path,
    *,
    hostnames: Sequence[str] = ("localhost", "127.0.0.1"),
    stations: Sequence[str] = ("CP001",),
    organization: str = DEFAULT_ORGANIZATION,
    reuse_ca: bool = True,
) -> dict[str, Path]:
    """Write a dev CA (`ca.pem`, `ca.key`), the hub's server certificate (`server.pem`, `server.key`; SAN =
    `hostnames`, DNS names or IP addresses) and per station `station-<id>.pem` / `station-<id>.key`
    (CN = station id, O = `organization`). Private keys get mode 0600. An existing CA in `directory` is
    reused (so certificates written earlier stay valid) unless `reuse_ca` is False.

    Returns the paths: keys `ca_cert`, `ca_key`, `server_cert`, `server_key`, and `<station id>_cert`,
    `<station id>_key` per station."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    paths: dict[str, Path] = {"ca_cert": directory / "ca.pem", "ca_key": directory / "ca.key"}
    loaded = _load_ca(directory) if reuse_ca else None
    if loaded is None:
        ca_certificate, ca_key = _make_ca(organization, now)
        _write_private_key(paths["ca_key"], ca_key)
        _write_certificate(paths["ca_cert"], ca_certificate)
    else:
        ca_certificate, ca_key = loaded

    server_subject = _name(hostnames[0] if hostnames else "localhost", organization)
    server, server_key = _make_leaf(
        ca_certificate,
        ca_key,
        server_subject,
        ExtendedKeyUsageOID.SERVER_AUTH,
        now,
        [_alt_name(h) for h in hostnames],
    )
    paths["server_cert"], paths["server_key"] = directory / "server.pem", directory / "server.key"
    _write_private_key(paths["server_key"], server_key)
    _write_certificate(paths["server_cert"], server)

    for station_id in stations:
        certificate, key = _make_leaf(
            ca_certificate, ca_key, _name(station_id, organization), ExtendedKeyUsageOID.CLIENT_AUTH, now
        )
        stem = station_file_stem(station_id)
        paths[f"{station_id}_cert"] = directory / f"{stem}.pem"
        paths[f"{station_id}_key"] = directory / f"{stem}.key"
        _write_private_key(paths[f"{station_id}_key"], key)
        _write_certificate(paths[f"{station_id}_cert"], certificate)
    return paths


# ---------------------------------------------------------------------- CLI: python -m hub certs dev


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="certs", help="directory to write into (default: %(default)s)")
    parser.add_argument(
        "--station",
        action="append",
        dest="stations",
        metavar="ID",
        help="station id to issue a client certificate for (repeatable; default CP001)",
    )
    parser.add_argument(
        "--hostname",
        action="append",
        dest="hostnames",
        metavar="NAME",
        help="DNS name or IP address of the hub (repeatable; default localhost and 127.0.0.1)",
    )
    parser.add_argument(
        "--organization", default=DEFAULT_ORGANIZATION, help="the CPO's name, O= of every certificate"
    )
    parser.add_argument("--new-ca", action="store_true", help="make a new CA even if OUT/ca.pem exists")


def run_from_args(args: argparse.Namespace) -> int:
    out = Path(args.out)
    paths = write_dev_certs(
        out,
        hostnames=tuple(args.hostnames or ("localhost", "127.0.0.1")),
        stations=tuple(args.stations or ("CP001",)),
        organization=args.organization,
        reuse_ca=not args.new_ca,
    )
    for label, path in paths.items():
        print(f"{label:>20}  {path}")
    print(
        "\nDevelopment certificates only: never use this CA in production. Add to config.toml:\n"
        f'[tls]\ncert_file = "{paths["server_cert"]}"\nkey_file = "{paths["server_key"]}"\n'
        f'ca_file = "{paths["ca_cert"]}"\nclient_certificates = "optional"'
    )
    return 0

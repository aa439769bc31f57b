"""`python -m hub ocpi …`: OCPI registrations through a running hub's operator API (`/admin/ocpi/`):
invite a partner, register with a partner's Token A, list platforms, rotate credentials, unregister.

Composition layer: may import anything.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from hub.cli_common import admin_options, call_admin

ApiRequest = tuple[str, str, dict[str, Any] | None]


def add_ocpi_commands(subparsers: Any) -> Any:
    """Add `ocpi` and its sub-commands to the hub's command parser (an `argparse._SubParsersAction`); each
    leaf sets `run` (an async handler of the parsed args). Returns the `ocpi` sub-command set, so other
    modules add their own `ocpi …` commands to it."""
    common = admin_options()
    ocpi = subparsers.add_parser(
        "ocpi", help="OCPI partner registrations through a running hub's operator API"
    )
    actions = ocpi.add_subparsers(dest="ocpi_command", metavar="OCPI_COMMAND", required=True)
    invite = actions.add_parser(
        "invite", parents=[common], help="create a Token A for a partner; prints it with our versions URL"
    )
    invite.add_argument("--name", required=True, help="the partner's name")
    register = actions.add_parser(
        "register", parents=[common], help="register with a partner that gave us its versions URL and Token A"
    )
    register.add_argument("--versions-url", required=True, help="the partner's OCPI versions URL")
    # `--token` is the operator API's token (admin_options), so the partner's token has its own name.
    register.add_argument(
        "--token-a",
        required=True,
        help="the Token A the partner gave us (write --token-a=A when it starts with -)",
    )
    register.add_argument("--name", default=None, help="the partner's name (default: its host name)")
    platforms = actions.add_parser(
        "platforms", parents=[common], help="list partner platforms and their status"
    )
    update = actions.add_parser("update", parents=[common], help="rotate credentials with a partner (PUT)")
    update.add_argument("--platform", required=True, help="the platform id (see `ocpi platforms`)")
    unregister = actions.add_parser(
        "unregister", parents=[common], help="end a registration (DELETE) or revoke an invitation"
    )
    unregister.add_argument("--platform", required=True, help="the platform id (see `ocpi platforms`)")
    for leaf in (invite, register, platforms, update, unregister):
        leaf.set_defaults(run=ocpi_command)
    return actions


def ocpi_request(args: argparse.Namespace) -> ApiRequest:
    """(method, path, JSON body) of an `ocpi` sub-command."""
    action = args.ocpi_command
    if action == "invite":
        return "POST", "/admin/ocpi/invitations", {"name": args.name}
    if action == "register":
        body = {"versions_url": args.versions_url, "token": args.token_a}
        if args.name:
            body["name"] = args.name
        return "POST", "/admin/ocpi/register", body
    if action == "platforms":
        return "GET", "/admin/ocpi/platforms", None
    platform = f"/admin/ocpi/platforms/{quote(args.platform, safe='')}"
    if action == "update":
        return "POST", f"{platform}/update", None
    if action == "unregister":
        return "DELETE", platform, None
    raise AssertionError(action)  # argparse rejects unknown sub-commands


async def ocpi_command(args: argparse.Namespace) -> int:
    """Call the operator API and print its JSON answer (`invite`: the platform id, Token A and our versions
    URL); exit 0 on success, 1 with the error on stderr."""
    method, path, body = ocpi_request(args)
    code, _ = await call_admin(args, method, path, body)
    return code

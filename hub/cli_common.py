"""What every `python -m hub` command that talks to a running hub shares: the `--url`/`--token` options and
one call to the operator API that prints the JSON answer.

Composition layer: may import anything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

DEFAULT_ADMIN_URL = "http://127.0.0.1:8080"


def admin_options() -> argparse.ArgumentParser:
    """A parent parser with `--url` and `--token` (default: environment HUB_ADMIN_TOKEN)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=DEFAULT_ADMIN_URL, help="the hub's base URL (default: %(default)s)")
    common.add_argument(
        "--token",
        default=os.environ.get("HUB_ADMIN_TOKEN", ""),
        help="the [admin] token (default: environment HUB_ADMIN_TOKEN)",
    )
    return common


async def call_admin(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: Any = None,
    query: list[tuple[str, str]] | None = None,
    *,
    wait_s: float | None = None,
    quiet: bool = False,
) -> tuple[int, Any]:
    """Call the operator API at `args.url` with `args.token`; print the JSON answer (unless `quiet`) and
    return (exit code, answer): 0 on 2xx, else 1 with the error printed on stderr."""
    import aiohttp

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    timeout = aiohttp.ClientTimeout(total=(wait_s or 0) + 60)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(
                method, args.url.rstrip("/") + path, json=body, params=query or [], headers=headers
            ) as response,
        ):
            text = await response.text()
            ok = 200 <= response.status < 300
    except (aiohttp.ClientError, TimeoutError) as exc:
        print(f"error: cannot reach {args.url}: {exc or type(exc).__name__}", file=sys.stderr)
        return 1, None
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if ok:
        if not quiet:
            print(json.dumps(answer, indent=2, ensure_ascii=False) if answer is not None else text)
        return 0, answer
    error = answer.get("error") if isinstance(answer, dict) else None
    print(f"error: HTTP {response.status}: {error or text.strip()}", file=sys.stderr)
    return 1, answer

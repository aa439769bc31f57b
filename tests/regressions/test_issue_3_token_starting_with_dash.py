"""Issue 3 regression: a credentials token the hub generated could start with `-` (one in 64 does, being
URL-safe Base64), and `python -m hub ocpi register --token-a <token>` then failed with argparse's
"expected one argument": the CLI test failed now and then. The hub's tokens no longer start with `-`; a
partner's token that does still parses in the `--token-a=<token>` form."""

from __future__ import annotations

from hub.cli import build_parser
from ocpi_modules.common.auth import is_valid_token, new_token


def test_generated_tokens_never_start_with_a_dash() -> None:
    tokens = [new_token() for _ in range(2000)]  # the old generator fails this with p > 0.999999999

    assert not [t for t in tokens if t.startswith("-")]
    assert all(is_valid_token(t) and len(t) == 64 for t in tokens)


def test_a_partner_token_starting_with_a_dash_parses_in_the_equals_form() -> None:
    args = build_parser().parse_args(
        ["ocpi", "register", "--versions-url", "https://p.example/versions", "--token-a=-abc123"]
    )

    assert args.token_a == "-abc123"

"""Entry point for `python -m hub`."""

from hub.cli import main

raise SystemExit(main())

"""`python -m hub.ocpp.simulator …`, the same as `python -m hub simulate …`."""

from hub.ocpp.simulator.cli import main

raise SystemExit(main())

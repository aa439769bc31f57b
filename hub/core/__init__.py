"""The protocol-neutral charge-point core: models, ports, events and services.

Imports the standard library, pydantic and structlog only (see ARCHITECTURE.md).
"""

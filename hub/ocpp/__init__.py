"""OCPP 1.6J / 2.0.1 adapter: websocket server, RPC layer, station gateway and one package per version.

Imports hub.core only (never storage or other adapters); the `ocpp` PyPI package is used only in here.
"""

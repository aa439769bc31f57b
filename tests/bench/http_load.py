"""Closed-loop HTTP/1.1 load for the OCPI benchmark: N keep-alive connections, each sending GETs back to back
from a round-robin list of request paths, recording per-request latency; only requests completed inside the
measured window count. A lean client (asyncio streams, pre-built request bytes) so that it costs far less CPU
per request than the servers it measures.

Benchmark-only code: imports the standard library only.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


class HttpLoadError(Exception):
    """A response that was not HTTP 200 (or not the expected body), or a broken connection."""


@dataclass
class LoadResult:
    requests: int = 0  # completed inside the window
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # inside the window
    bytes_received: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def build_request(host: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(HTTP status, body) of one response; Content-Length or chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts)
    return status, await reader.readexactly(length or 0)


async def closed_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    seconds: float,
    warmup_s: float,
    must_contain: bytes = b"",
) -> LoadResult:
    """`connections` clients, each walking `requests` round-robin (client i starts at request i), for
    `warmup_s` + `seconds`; the first `warmup_s` are not counted."""
    result = LoadResult()
    stop = asyncio.Event()
    window: list[float] = []  # [start, end] of the measured window, perf_counter

    async def client(index: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for request in itertools.islice(itertools.cycle(requests), index, None):
                if stop.is_set():
                    return
                started = time.perf_counter()
                writer.write(request)
                status, body = await read_response(reader)
                done = time.perf_counter()
                if status != 200 or (must_contain and must_contain not in body):
                    raise HttpLoadError(f"HTTP {status}: {body[:300]!r}")
                if window and window[0] <= started and (len(window) == 1 or done <= window[1]):
                    result.requests += 1
                    result.latencies.append(done - started)
                    result.bytes_received += len(body)
        except (OSError, asyncio.IncompleteReadError, HttpLoadError) as exc:
            result.errors.append(f"client {index}: {type(exc).__name__}: {exc}")
            stop.set()
        finally:
            writer.close()

    tasks = [asyncio.create_task(client(i)) for i in range(connections)]
    await asyncio.sleep(warmup_s)
    window.append(time.perf_counter())
    await asyncio.sleep(seconds)
    window.append(time.perf_counter())
    result.seconds = window[1] - window[0]
    stop.set()
    await asyncio.gather(*tasks)
    return result

"""P5 load on loopback: 500 concurrent clients for 30 s on list, get and SSE.

Bounded in count and time, loopback only. Clients are spread over several
127.0.0.x source addresses, as real users come from several machines (the
server caps open streams per client address).

Run: python -m bench.p5_load [SECONDS]   Target: 0 errors; p50 and p99 reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.gitrepo import make_repo
from tests.server_process import ServerProcess

CLIENTS = 500
SSE_CLIENTS = 100  # of the 500, these hold a board stream open for the whole run
SOURCE_ADDRESSES = 50


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] if ordered else 0.0


async def load(server: ServerProcess, seconds: float) -> None:
    headers = {"Authorization": f"Bearer {server.token}"}
    ids = []
    async with aiohttp.ClientSession(headers=headers) as http:
        for n in range(50):
            async with http.post(server.url + "/api/tasks", json={"prompt": f"load {n}"}) as r:
                ids.append((await r.json())["id"])
    latencies: dict[str, list[float]] = {"list": [], "get": [], "sse-connect": []}
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    async def client(n: int) -> None:
        source = f"127.0.0.{2 + n % SOURCE_ADDRESSES}"
        connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=1)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
        async with aiohttp.ClientSession(
            headers=headers, connector=connector, timeout=timeout
        ) as http:
            if n < SSE_CLIENTS:
                start = time.perf_counter()
                async with http.get(server.url + "/api/stream") as stream:
                    if stream.status != 200:
                        errors.append(f"sse {stream.status}")
                        return
                    await stream.content.readline()
                    latencies["sse-connect"].append(time.perf_counter() - start)
                    while time.monotonic() < deadline:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(1):
                                await stream.content.readline()
                return
            turn = 0
            while time.monotonic() < deadline:
                kind = "list" if turn % 2 else "get"
                path = "/api/tasks?limit=50" if kind == "list" else f"/api/tasks/{ids[turn % 50]}"
                start = time.perf_counter()
                try:
                    async with http.get(server.url + path) as response:
                        await response.read()
                        if response.status != 200:
                            errors.append(f"{kind} {response.status}")
                except aiohttp.ClientError as exc:
                    errors.append(f"{kind} {exc!r}")
                latencies[kind].append(time.perf_counter() - start)
                turn += 1

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    print(f"P5 load: {CLIENTS} clients ({SSE_CLIENTS} on SSE) for {seconds:g} s on loopback")
    for kind, values in latencies.items():
        if values:
            p50, p99 = statistics.median(values) * 1000, percentile(values, 99) * 1000
            print(f"  {kind:<12} {len(values):6d} requests  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    print(f"  errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""))


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "repo")
        server = ServerProcess(Path(tmp) / "data", [repo], image="unused:0")
        server.start()
        try:
            asyncio.run(load(server, seconds))
        finally:
            server.stop()


if __name__ == "__main__":
    main()

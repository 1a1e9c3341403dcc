"""Gateway benchmark: added latency over a direct call (p50/p99), and login throughput through the gateway.

Starts an embedded PostgreSQL, identity (``carbonid-identity``), a trivial upstream built on the kit and the
gateway (``carbonid-gateway``), each in its own process on 127.0.0.1, then measures with one client process.

    .venv/bin/python services/gateway/bench/bench_gateway.py [--requests 3000] [--logins 60] [--concurrency 8]

Argon2id runs at identity's default cost (time 3, 64 MiB, parallelism 4) unless --cheap-argon2 is given.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from carbonid_kit.embedded import EmbeddedPostgres, free_port, wait_for_port

BIN = Path(sys.executable).parent


def trivial_upstream(port: int) -> None:
    import uvicorn
    from fastapi import APIRouter

    from carbonid_kit.app import create_service_app
    from carbonid_kit.settings import ServiceSettings

    router = APIRouter()

    @router.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    settings = ServiceSettings(service_name="bench", log_level="WARNING")
    app = create_service_app(settings, None, title="bench upstream", routers=[router])
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latencies(client: httpx.AsyncClient, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return out


async def measure(args: argparse.Namespace, gateway: str, upstream: str) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for url in (f"{upstream}/ping", f"{gateway}/api/bench/ping"):
            await latencies(client, url, 200)  # warm up connections and code paths
        direct: list[float] = []
        through: list[float] = []
        for _ in range(5):  # interleave so that background noise hits both alike
            direct += await latencies(client, f"{upstream}/ping", args.requests // 5)
            through += await latencies(client, f"{gateway}/api/bench/ping", args.requests // 5)

        password = "Bench-pass-1"
        body = {"username": "bench_user1", "password": password, "password_confirm": password}
        await client.post(f"{gateway}/api/identity/auth/register", json=body)
        login = {"username": "bench_user1", "password": password}
        first = (await client.post(f"{gateway}/api/identity/auth/login", json=login)).json()
        change = {"current_password": password, "new_password": "Bench-pass-2", "new_password_confirm": "Bench-pass-2"}
        auth = {"Authorization": f"Bearer {first['access_token']}"}
        await client.post(f"{gateway}/api/identity/auth/password", json=change, headers=auth)

        credentials = {"username": "bench_user1", "password": "Bench-pass-2"}
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(args.logins):
            queue.put_nowait(i)
        failures = 0

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                queue.get_nowait()
                response = await client.post(f"{gateway}/api/identity/auth/login", json=credentials)
                failures += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        login_seconds = time.perf_counter() - started

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"sequential GET, {len(direct)} requests each (ms):")
    for label, samples in (("direct ", direct), ("gateway", through)):
        p50, p99, mean = percentile(samples, 0.5), percentile(samples, 0.99), statistics.mean(samples)
        print(f"  {label}  p50 {p50:6.2f}  p99 {p99:6.2f}  mean {mean:6.2f}")
    print(
        f"  added    p50 {percentile(through, 0.5) - percentile(direct, 0.5):6.2f}"
        f"  p99 {percentile(through, 0.99) - percentile(direct, 0.99):6.2f}"
    )
    cost = "cheap (t=1, 1 MiB)" if args.cheap_argon2 else "default (t=3, 64 MiB, p=4)"
    print(
        f"logins through the gateway, Argon2id {cost}: {args.logins} in {login_seconds:.2f} s with "
        f"{args.concurrency} concurrent clients = {args.logins / login_seconds:.1f} logins/s ({failures} failed)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cheap-argon2", action="store_true")
    parser.add_argument("--serve-upstream", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        trivial_upstream(args.serve_upstream)
        return

    with tempfile.TemporaryDirectory(prefix="carbonid-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port())
        pg.start()
        ports = {"identity": free_port(), "upstream": free_port(), "gateway": free_port()}
        base_env = {**os.environ, "CARBONID_LOG_LEVEL": "WARNING", "CARBONID_ENVIRONMENT": "development"}
        identity_env = {
            **base_env,
            "CARBONID_DATABASE_URL": pg.database_url("carbonid_identity"),
            "CARBONID_HTTP_PORT": str(ports["identity"]),
        }
        if args.cheap_argon2:
            identity_env |= {"CARBONID_ARGON2_TIME_COST": "1", "CARBONID_ARGON2_MEMORY_KIB": "1024",
                             "CARBONID_ARGON2_PARALLELISM": "1"}  # fmt: skip
        identity_url = f"http://127.0.0.1:{ports['identity']}"
        upstream_url = f"http://127.0.0.1:{ports['upstream']}"
        gateway_env = {
            **base_env,
            "CARBONID_HTTP_PORT": str(ports["gateway"]),
            "CARBONID_JWKS_URL": f"{identity_url}/.well-known/jwks.json",
            "CARBONID_UPSTREAMS": f'{{"identity": "{identity_url}", "bench": "{upstream_url}"}}',
            "CARBONID_RATE_PER_ADDRESS": "100000",
            "CARBONID_BURST_PER_ADDRESS": "100000",
            "CARBONID_RATE_PER_USER": "100000",
            "CARBONID_BURST_PER_USER": "100000",
        }
        processes = [
            subprocess.Popen([str(BIN / "carbonid-identity"), "serve"], env=identity_env),
            subprocess.Popen([sys.executable, __file__, "--serve-upstream", str(ports["upstream"])], env=base_env),
            subprocess.Popen([str(BIN / "carbonid-gateway")], env=gateway_env),
        ]
        try:
            for port in ports.values():
                wait_for_port(port, timeout=60)
            asyncio.run(measure(args, f"http://127.0.0.1:{ports['gateway']}", upstream_url))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)
            pg.stop()


if __name__ == "__main__":
    main()

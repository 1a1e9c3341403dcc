"""Gateway load test with wrk (Debian package ``wrk``): peak request rate and latency through the front door.

    .venv/bin/python tests/load/gateway_load.py [--duration 20] [--connections 64] [--threads 2] [--broker tansu]

Starts the same stack as ``pipeline_load.py`` (test JWKS, raised rate limits) and runs wrk against:
  - ``GET /health/live`` on the gateway: the gateway process alone (no upstream, no token);
  - ``GET /api/evaluation/questionnaire`` with a bearer token: token check in the gateway, streaming proxy,
    token check and a database read in evaluation — the cost of one ordinary authenticated API call;
  - ``GET /health/live`` on evaluation directly: the same upstream without the gateway, for comparison.
Prints wrk's requests/s and latency percentiles, and the CPU of the gateway and evaluation during each run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline_load import load_stack, say


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def run_wrk(url: str, args: argparse.Namespace, headers: list[str], watched: dict[str, int]) -> None:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    before = {name: cpu_seconds(pid) for name, pid in watched.items()}
    started = time.monotonic()
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - started
    cpu = {name: 100 * (cpu_seconds(pid) - before[name]) / wall for name, pid in watched.items()}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    say(
        f"{url.split('//', 1)[1].split('/', 1)[1]:<34} {rate.group(1) if rate else '?':>9} req/s  "
        f"p50 {latency.get('50', '?'):>8}  p90 {latency.get('90', '?'):>8}  p99 {latency.get('99', '?'):>8}  "
        f"non-2xx {non_2xx.group(1) if non_2xx else 0}  {errors.group(0) if errors else ''}  CPU "
        + ", ".join(f"{name} {value:.0f} %" for name, value in cpu.items())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--broker", choices=["apache", "tansu"], default="tansu")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        say("wrk is not installed: apt-get install -y wrk")
        return 2

    with load_stack(args.broker, "gw.", profile=set(), keep=False) as running:
        config, tokens = running.config, running.tokens
        pid = {c.name: p.pid for c, p in running.stack.processes}
        watched = {"gateway": pid["gateway"], "evaluation": pid["evaluation"]}
        token = tokens.mint("enterprise", username="wrk01")
        gateway = config.url(config.gateway_port)
        say(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; {psutil.cpu_count()} cores")
        run_wrk(f"{gateway}/health/live", args, [], watched)
        run_wrk(f"{gateway}/api/evaluation/questionnaire", args, [f"Authorization: Bearer {token}"], watched)
        run_wrk(f"{config.url(config.evaluation_port)}/health/live", args, [], watched)
        run_wrk(
            f"{config.url(config.evaluation_port)}/questionnaire", args, [f"Authorization: Bearer {token}"], watched
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

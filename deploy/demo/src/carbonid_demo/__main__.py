"""``carbonid-demo load --gateway http://127.0.0.1:8000``: the demo enterprises through the real platform.

Registers and binds one enterprise user per demo enterprise of the local identifier node, resolves and
confirms its calculations, publishes benchmark sets, runs evaluations (certificates follow), all through the
gateway. Idempotent: a second run finds everything done and changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from carbonid_demo.client import Gateway
from carbonid_demo.loader import DemoLoader, LoadOptions, Report, default_accounts_file
from carbonid_demo.plan import AGGREGATE_KINDS, calculation_periods, load_seed, select_enterprises


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)  # noqa: T201 - progress for the operator


async def load(
    gateway_url: str,
    *,
    enterprises: int | None = None,
    prefixes: Sequence[str] = (),
    industries: Sequence[str] = (),
    regions: Sequence[str] = (),
    months: int = 24,
    aggregates: Sequence[str] = AGGREGATE_KINDS,
    evaluations: int = 3,
    concurrency: int = 4,
    period_concurrency: int = 3,
    rate: float = 40.0,
    deadline_s: float = 120.0,
    accounts_file: Path | None = None,
    quiet: bool = False,
) -> Report:
    """Run the loader once (also the API the tests and the embedded stack use)."""
    seed = load_seed()
    chosen = select_enterprises(
        seed.enterprises, limit=enterprises, prefixes=prefixes, industries=industries, regions=regions
    )
    if not chosen:
        raise ValueError("no demo enterprise matches the selection")
    accounts = accounts_file or default_accounts_file()
    if accounts is None:
        raise ValueError("identity's demo-accounts.json not found: pass --accounts-file")
    options = LoadOptions(
        enterprises=chosen,
        periods=calculation_periods(seed.first_month, seed.last_month, months, aggregates),
        accounts_file=accounts,
        evaluations=evaluations,
        concurrency=concurrency,
        period_concurrency=period_concurrency,
        deadline_s=deadline_s,
    )
    gateway = Gateway(gateway_url, rate=rate)
    try:
        return await DemoLoader(gateway, options, (lambda _: None) if quiet else say).run()
    finally:
        await gateway.aclose()


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="carbonid-demo", description=__doc__)
    commands = p.add_subparsers(dest="command", required=True)
    run = commands.add_parser("load", help="load the demo enterprises through the gateway (idempotent)")
    run.add_argument("--gateway", default="http://127.0.0.1:8000", help="the platform's gateway")
    run.add_argument("--enterprises", type=int, default=None, help="only the first N demo enterprises (seed order)")
    run.add_argument("--prefix", action="append", default=[], help="only this enterprise prefix (repeatable)")
    run.add_argument("--industry", type=_csv, default=[], help="only these GB/T 4754 codes (comma-separated)")
    run.add_argument("--region", type=_csv, default=[], help="only these GB/T 2260 regions (comma-separated)")
    run.add_argument("--months", type=int, default=24, help="monthly calculations for the node's last M months")
    run.add_argument(
        "--aggregates",
        type=_csv,
        default=list(AGGREGATE_KINDS),
        help="complete quarter/half/year periods to calculate too (comma-separated; '' for none)",
    )
    run.add_argument("--evaluations", type=int, default=3, help="evaluations per enterprise (latest periods)")
    run.add_argument("--concurrency", type=int, default=4, help="enterprises driven at once")
    run.add_argument("--period-concurrency", type=int, default=3, help="periods of one enterprise at once")
    run.add_argument("--rate", type=float, default=40.0, help="requests per second (gateway limit: 50 per address)")
    run.add_argument("--deadline", type=float, default=120.0, help="longest wait for one asynchronous effect, s")
    run.add_argument("--accounts-file", type=Path, default=None, help="identity's demo-accounts.json")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        report = asyncio.run(
            load(
                args.gateway,
                enterprises=args.enterprises,
                prefixes=args.prefix,
                industries=args.industry,
                regions=args.region,
                months=args.months,
                aggregates=args.aggregates,
                evaluations=args.evaluations,
                concurrency=args.concurrency,
                period_concurrency=args.period_concurrency,
                rate=args.rate,
                deadline_s=args.deadline,
                accounts_file=args.accounts_file,
            )
        )
    except (RuntimeError, ValueError) as exc:
        say(f"failed: {exc}")
        return 2
    summary = report.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))  # noqa: T201
    else:
        say(f"done in {summary['seconds']} s, {summary['requests']} requests, {summary['changed']} changes")
        for key, n in summary["counts"].items():
            say(f"  {key}: {n}")
        for note in report.notes:
            say(f"  note: {note}")
        for failure in report.failures:
            say(f"  FAILED {failure}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())

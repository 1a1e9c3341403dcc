"""The demo flow, through the gateway only: accounts → binding → calculations → benchmarks → evaluations.

Each step first reads the current state through the API and does only what is missing, so a second run
changes nothing. Asynchronous effects (a service consuming another's event) are awaited by polling a
condition with a deadline, never by sleeping a fixed time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from carbonid_demo.client import Account, ApiError, Gateway, wait_for
from carbonid_demo.plan import (
    DEMO_PASSWORD,
    INITIAL_PASSWORD,
    MIN_BENCHMARK_SAMPLE,
    NATIONAL_SCOPE,
    PublishedEntry,
    SeedEnterprise,
    answer_for,
    evaluation_periods,
    full_years,
    has_benchmark,
    within,
)

EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
"""A minimal PDF uploaded as the evidence of answers that require one (demo data, not a real document)."""

STEP_FAILURES = (ApiError, httpx.HTTPError, TimeoutError, AssertionError, KeyError, ValueError, RuntimeError)
"""What ends one enterprise's flow (recorded as a failure) without stopping the others."""

BENCHMARK_WAIT_SLUGS = frozenset({"no-benchmark", "benchmark-sample-too-small"})


async def all_or_nothing(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run them together; the first failure cancels the rest (no half-run resolutions left behind) and is raised."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


@dataclass(frozen=True, slots=True)
class BuiltInAccount:
    username: str
    role: str
    region_scope: str | None
    seed_password: str


def read_built_in_accounts(path: Path) -> list[BuiltInAccount]:
    """The built-in accounts of identity's seed file (created at deployment by ``carbonid-identity seed``)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        BuiltInAccount(a["username"], a["role"], a.get("region_scope"), a["password"])
        for a in document["accounts"]
        if a.get("password")
    ]


def default_accounts_file() -> Path | None:
    """``services/identity/seed/demo-accounts.json`` of this checkout (the identity package is editable)."""
    import importlib.util

    candidates = [Path("services/identity/seed/demo-accounts.json")]
    spec = importlib.util.find_spec("carbonid_identity")
    if spec is not None and spec.origin is not None:
        candidates.insert(0, Path(spec.origin).resolve().parents[2] / "seed" / "demo-accounts.json")
    return next((c for c in candidates if c.is_file()), None)


@dataclass
class LoadOptions:
    enterprises: Sequence[SeedEnterprise]
    periods: Sequence[str]
    """Calculation periods, the same for every enterprise."""
    accounts_file: Path
    evaluations: int = 3
    concurrency: int = 4
    period_concurrency: int = 3
    """Periods of one enterprise handled at once (the gateway limits each user to 20 requests/s)."""
    deadline_s: float = 120.0
    """Longest wait for one asynchronous effect (an event reaching another service)."""


@dataclass
class EnterpriseRun:
    seed: SeedEnterprise
    account: Account
    enterprise_id: str = ""
    name: str = ""
    industry_code: str = ""
    region_code: str = ""
    confirmed: dict[str, str] = field(default_factory=dict)
    """period → id of its confirmed calculation"""
    evaluations: dict[str, str] = field(default_factory=dict)
    """period → id of its completed evaluation"""
    certificates: dict[str, str] = field(default_factory=dict)
    """period → certificate code"""
    failed: str | None = None


@dataclass
class Report:
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    runs: list[EnterpriseRun] = field(default_factory=list)
    benchmark_sets: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0

    @property
    def changed(self) -> int:
        """How many things this run created or changed (0 on a run that found everything done)."""
        return sum(
            n for key, n in self.counts.items() if not key.endswith(".existing") and not key.startswith("skipped.")
        )

    def summary(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "counts": dict(sorted(self.counts.items())),
            "changed": self.changed,
            "benchmark_sets": self.benchmark_sets,
            "notes": self.notes,
            "failures": self.failures,
        }


class DemoLoader:
    def __init__(self, gateway: Gateway, options: LoadOptions, say: Callable[[str], None]) -> None:
        self.gateway = gateway
        self.options = options
        self.say = say
        self.report = Report()
        self.semaphore = asyncio.Semaphore(max(1, options.concurrency))
        self.published: list[PublishedEntry] = []
        self.questionnaire: dict[str, Any] | None = None
        self.approver: Account | None = None
        """The built-in operator: approves each demo account's claim to its enterprise (the proof of control)."""

    # --- the whole run ------------------------------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        options = self.options
        self.say(
            f"loading {len(options.enterprises)} enterprises × {len(options.periods)} periods "
            f"({options.periods[0]} … {options.periods[-1]}), concurrency {options.concurrency}"
        )
        built_in = await self.log_in_built_in_accounts()
        runs = [EnterpriseRun(e, Account(self.gateway, e.username)) for e in options.enterprises]
        self.report.runs = runs
        await self.for_each(runs, self.prepare_enterprise, "calculations")
        await self.publish_benchmarks(built_in, [r for r in runs if r.failed is None])
        await self.for_each([r for r in runs if r.failed is None], self.evaluate_enterprise, "evaluations")
        self.report.seconds = time.monotonic() - started
        self.report.requests = self.gateway.requests
        return self.report

    async def for_each(self, runs: Sequence[EnterpriseRun], step: Callable[[EnterpriseRun], Any], label: str) -> None:
        done = 0

        async def one(run: EnterpriseRun) -> None:
            nonlocal done
            async with self.semaphore:
                try:
                    await step(run)
                except STEP_FAILURES as exc:
                    run.failed = f"{run.seed.prefix}: {label}: {exc}"
                    self.report.failures.append(run.failed)
                    self.say(f"FAILED {run.failed}")
                    return
            done += 1
            self.say(f"[{label} {done}/{len(runs)}] {run.seed.prefix} {run.name} {self.progress_of(run, label)}")

        await asyncio.gather(*(one(r) for r in runs))

    @staticmethod
    def progress_of(run: EnterpriseRun, label: str) -> str:
        if label == "calculations":
            return f"{len(run.confirmed)} confirmed calculations"
        return f"{len(run.evaluations)} evaluations, certificates {sorted(run.certificates.values())}"

    def count(self, key: str, n: int = 1) -> None:
        self.report.counts[key] += n

    # --- accounts -----------------------------------------------------------------------------------------

    async def log_in_built_in_accounts(self) -> list[tuple[BuiltInAccount, Account]]:
        """Operator and government accounts: they exist (identity seed); the first run does the forced change."""
        accounts = []
        for entry in read_built_in_accounts(self.options.accounts_file):
            account = Account(self.gateway, entry.username)
            try:
                await account.login([DEMO_PASSWORD, entry.seed_password])
            except ApiError as exc:
                raise RuntimeError(
                    f"built-in account {entry.username} cannot log in ({exc}); create the built-in accounts with "
                    f"`carbonid-identity seed --file {self.options.accounts_file}` (the embedded stack does)"
                ) from exc
            await self.finish_forced_change(account, "built_in")
            accounts.append((entry, account))
            if entry.role == "operator" and self.approver is None:
                self.approver = account
        return accounts

    async def finish_forced_change(self, account: Account, kind: str) -> None:
        if account.must_change_password:
            await account.change_password(DEMO_PASSWORD)
            self.count(f"accounts.{kind}.password_changed")

    async def enterprise_account(self, run: EnterpriseRun) -> None:
        account = run.account
        try:
            await self.gateway.request(
                "POST",
                "/api/identity/auth/register",
                json_body={
                    "username": account.username,
                    "password": INITIAL_PASSWORD,
                    "password_confirm": INITIAL_PASSWORD,
                },
            )
            self.count("accounts.enterprise.registered")
            await account.login([INITIAL_PASSWORD])
        except ApiError as exc:
            if exc.status != 409:
                raise
            self.count("accounts.enterprise.existing")
            await account.login([DEMO_PASSWORD, INITIAL_PASSWORD])
        await self.finish_forced_change(account, "enterprise")

    async def bind(self, run: EnterpriseRun) -> None:
        """Flow 2: resolve the prefix (a claim), have the operator approve it (the same proof of control every
        account needs), then refresh the token so that it carries ``ent``."""
        account = run.account
        enterprise_id = account.claims.get("ent")
        if enterprise_id is None:
            profile = await account.json(
                "POST", "/api/resolver/enterprises/resolve", json_body={"prefix": run.seed.prefix}
            )
            claim = profile.get("binding")
            if claim is not None and claim["status"] == "pending":
                if self.approver is None:
                    raise RuntimeError("no built-in operator account to approve the demo enterprises' claims")
                await self.approver.json("POST", f"/api/resolver/binding-claims/{claim['id']}/approve")
                self.count("enterprises.claims.approved")
            await account.refresh()
            enterprise_id = account.claims.get("ent")
            if enterprise_id != profile["id"]:
                raise AssertionError(f"token names enterprise {enterprise_id}, the resolver {profile['id']}")
            self.count("enterprises.bound")
        else:
            profile = await account.json("GET", f"/api/resolver/enterprises/{enterprise_id}")
            self.count("enterprises.bound.existing")
        run.enterprise_id = str(profile["id"])
        run.name = str(profile["name"])
        run.industry_code = str(profile["industry"]["code"])
        run.region_code = str(profile["region"]["code"])

    # --- calculations -------------------------------------------------------------------------------------

    async def prepare_enterprise(self, run: EnterpriseRun) -> None:
        """Account, binding, then every period's calculation up to confirmed (what exists is kept).

        The periods go in two waves, a few at a time: first every resolution and draft, then attaching,
        computing and confirming; by the second wave the resolutions' events have reached the calculator, so
        nobody waits for an event per period.
        """
        await self.enterprise_account(run)
        await self.bind(run)
        existing: dict[str, list[dict[str, Any]]] = {}
        for calc in await self.all_items(run.account, "/api/calculator/calculations"):
            existing.setdefault(calc["period"], []).append(calc)  # newest first
        drafts: dict[str, dict[str, Any] | None] = {}
        for period in self.options.periods:
            calcs = existing.get(period, [])
            confirmed = next((c for c in calcs if c["state"] == "confirmed"), None)
            if confirmed is not None:
                run.confirmed[period] = str(confirmed["id"])
                self.count("calculations.confirmed.existing")
            else:
                drafts[period] = calcs[0] if calcs else None
        lanes = asyncio.Semaphore(max(1, self.options.period_concurrency))
        resolved: set[str] = set()

        async def start(period: str) -> None:
            async with lanes:
                if drafts[period] is None:
                    drafts[period] = await self.start_calculation(run, period)
                    resolved.add(period)

        async def finish(period: str) -> None:
            draft = drafts[period]
            assert draft is not None
            async with lanes:
                run.confirmed[period] = await self.finish_calculation(run, period, draft, period in resolved)

        await all_or_nothing(start(p) for p in drafts)
        await all_or_nothing(finish(p) for p in drafts)

    async def all_items(self, account: Account, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        limit = 200
        while True:
            page = await account.json("GET", path, params={**params, "limit": limit, "offset": len(items)})
            batch = page["items"]
            items += batch
            if len(batch) < limit:
                return items

    async def resolve_activity(self, run: EnterpriseRun, period: str) -> dict[str, Any]:
        """Flow 3's identifier-resolution request, run synchronously (``?wait=true``)."""
        resolution: dict[str, Any] = await run.account.json(
            "POST",
            f"/api/resolver/enterprises/{run.enterprise_id}/activity-resolutions",
            params={"wait": "true"},
            json_body={"period": period},
        )
        self.count("activity_resolutions")
        return resolution

    async def start_calculation(self, run: EnterpriseRun, period: str) -> dict[str, Any]:
        """Resolve the period's activity data and start a draft with the resolved industrial added value."""
        resolution = await self.resolve_activity(run, period)
        added_value = next(
            p["quantity"]
            for p in resolution["result"]["production"]
            if p["item_code"] == "industrialAddedValue" and p["unit"] == "10^4 CNY"
        )
        body = {"sub_industry_code": run.industry_code, "period": period, "added_value_10k_cny": added_value}

        async def create() -> dict[str, Any] | None:
            try:
                created: dict[str, Any] = await run.account.json("POST", "/api/calculator/calculations", json_body=body)
                return created
            except ApiError as exc:
                if exc.slug == "enterprise-unknown":  # enterprise.resolved has not reached the calculator yet
                    return None
                raise

        draft = await wait_for(create, what="the calculator to know the enterprise", deadline_s=self.deadline)
        self.count("calculations.created")
        return draft

    async def finish_calculation(self, run: EnterpriseRun, period: str, draft: dict[str, Any], resolved: bool) -> str:
        """Attach the resolved activity (locked lines), compute, confirm; a computed draft is only confirmed."""
        account = run.account
        calc_id = str(draft["id"])
        if draft["state"] == "draft" and not resolved:
            # A draft an earlier run left: attach again only if it has no resolved activity yet.
            draft = await account.json("GET", f"/api/calculator/calculations/{calc_id}")
        if draft["state"] == "draft" and draft.get("resolution") is None:
            attach_path = f"/api/calculator/calculations/{calc_id}/resolved-activity"

            async def attach() -> dict[str, Any] | None:
                nonlocal resolved
                try:
                    attached: dict[str, Any] = await account.json("POST", attach_path)
                    return attached
                except ApiError as exc:
                    if exc.slug != "resolved-activity-missing":
                        raise
                if not resolved:  # a draft left by an earlier run whose resolution never arrived
                    await self.resolve_activity(run, period)
                    resolved = True
                return None  # activity.resolved has not reached the calculator yet

            await wait_for(attach, what=f"resolved activity of {period} at the calculator", deadline_s=self.deadline)
        if draft["state"] == "draft":
            await account.json("POST", f"/api/calculator/calculations/{calc_id}/compute")
            self.count("calculations.computed")
        await account.json("POST", f"/api/calculator/calculations/{calc_id}/confirm")
        self.count("calculations.confirmed")
        return calc_id

    @property
    def deadline(self) -> float:
        return self.options.deadline_s

    # --- benchmarks ---------------------------------------------------------------------------------------

    async def publish_benchmarks(
        self, built_in: Sequence[tuple[BuiltInAccount, Account]], runs: Sequence[EnterpriseRun]
    ) -> None:
        """Per year with full-year figures: a national set (operator) and one per government account's scope."""
        years = full_years(self.options.periods)
        if not years or not runs:
            self.report.notes.append("no full year calculated: no benchmark published")
            return
        publishers: list[tuple[Account, str]] = [(a, NATIONAL_SCOPE) for e, a in built_in if e.role == "operator"]
        publishers += [(a, str(e.region_scope)) for e, a in built_in if e.role == "government" and e.region_scope]
        for year in years:
            for account, scope in publishers:
                expected = sum(1 for r in runs if within(scope, r.region_code))
                if expected:
                    await self.publish_benchmark(account, scope, year, expected)

    async def publish_benchmark(self, account: Account, scope: str, year: int, expected: int) -> None:
        params = {"year": year, "region_scope": scope}

        async def preview() -> dict[str, Any] | None:
            document: dict[str, Any] = await account.json("GET", "/api/analytics/benchmarks/preview", params=params)
            seen = sum(e["sample_size"] for e in document["entries"] if e["industry_level"] == "section")
            return document if seen >= expected else None

        document = await wait_for(
            preview,
            what=f"analytics to see {expected} enterprises' {year} figures in {scope}",
            deadline_s=self.deadline,
        )
        wanted = {
            e["industry_code"]: (e["sample_size"], Decimal(e["intensity_tco2_per_10k_cny"]))
            for e in document["entries"]
            if e["meets_minimum_sample"]
        }
        label = f"{scope}/{year}"
        if not wanted:
            self.report.notes.append(f"benchmark {label}: no industry reaches the minimum sample")
            return
        listing = await account.json("GET", "/api/analytics/benchmark-sets", params=params)
        latest = next((s for s in listing["items"] if s["region_scope"] == scope and s["year"] == year), None)
        if latest is not None:
            stored = await account.json("GET", f"/api/analytics/benchmark-sets/{latest['benchmark_set_id']}")
            have = {
                e["industry_code"]: (e["sample_size"], Decimal(e["intensity_tco2_per_10k_cny"]))
                for e in stored["entries"]
            }
            if have == wanted:
                self.count("benchmark_sets.existing")
                self.remember(stored, scope, year)
                return
        try:
            published = await account.json("POST", "/api/analytics/benchmark-sets", json_body=params)
        except ApiError as exc:
            if exc.status != 403:
                raise
            self.report.notes.append(f"benchmark {label} refused for {account.username}: {exc}")
            self.say(f"benchmark {label}: refused for {account.username} ({exc.slug})")
            return
        self.count("benchmark_sets.published")
        self.remember(published, scope, year)

    def remember(self, benchmark_set: dict[str, Any], scope: str, year: int) -> None:
        self.report.benchmark_sets.append(
            f"{benchmark_set['version']}: " + ", ".join(sorted(e["industry_code"] for e in benchmark_set["entries"]))
        )
        self.say(f"benchmark set {self.report.benchmark_sets[-1]}")
        self.published += [
            PublishedEntry(e["industry_code"], scope, year, int(e["sample_size"])) for e in benchmark_set["entries"]
        ]

    # --- evaluations --------------------------------------------------------------------------------------

    async def evaluate_enterprise(self, run: EnterpriseRun) -> None:
        years = {
            int(p[:4])
            for p in run.confirmed
            if has_benchmark(
                self.published,
                industry_code=run.industry_code,
                region_code=run.region_code,
                year=int(p[:4]),
                min_sample=MIN_BENCHMARK_SAMPLE,
            )
        }
        periods = evaluation_periods(run.confirmed, years, self.options.evaluations)
        if not periods:
            self.report.notes.append(f"{run.seed.prefix}: no published benchmark applies; not evaluated")
            self.count("skipped.evaluations_without_benchmark")
            return
        existing: dict[str, list[dict[str, Any]]] = {}
        for evaluation in await self.all_items(run.account, "/api/evaluation/evaluations"):
            existing.setdefault(evaluation["period"], []).append(evaluation)  # newest first
        for period in periods:
            evaluations = existing.get(period, [])
            done = next((e for e in evaluations if e["status"] == "completed"), None)
            if done is not None:
                self.count("evaluations.issued.existing")
                evaluation_id = str(done["id"])
            else:
                unfinished = next((e for e in evaluations if e["status"] == "in_progress"), None)
                evaluation_id = await self.evaluate(run, period, unfinished)
            run.evaluations[period] = evaluation_id
            run.certificates[period] = await self.certificate_of(run, period, evaluation_id)
            self.count("certificates.seen.existing" if done is not None else "certificates.seen")

    async def questions(self, account: Account) -> list[dict[str, Any]]:
        if self.questionnaire is None:
            self.questionnaire = await account.json("GET", "/api/evaluation/questionnaire")
        assert self.questionnaire is not None
        return list(self.questionnaire["questions"])

    async def evaluate(self, run: EnterpriseRun, period: str, unfinished: dict[str, Any] | None) -> str:
        """Flow 4: questionnaire (with evidence), neutralisation, computation, issuance."""
        account = run.account
        if unfinished is None:
            calculation_id = run.confirmed[period]

            async def seen() -> bool | None:
                document = await account.json("GET", "/api/evaluation/periods")
                return True if any(p["calculation_id"] == calculation_id for p in document["periods"]) else None

            await wait_for(seen, what=f"the evaluation service to see calculation {period}", deadline_s=self.deadline)
            detail = await account.json("POST", "/api/evaluation/evaluations", json_body={"period": period})
            self.count("evaluations.started")
        else:
            detail = await account.json("GET", f"/api/evaluation/evaluations/{unfinished['id']}")
        evaluation = f"/api/evaluation/evaluations/{detail['id']}"
        if detail["questionnaire"]["submitted_at"] is None:
            answers: dict[str, dict[str, str]] = {}
            have_evidence = {e["question_id"] for e in detail["evidence"]}
            for question in await self.questions(account):
                option = answer_for(run.seed.prefix, question)
                if option.get("evidence_required") and question["id"] not in have_evidence:
                    await account.request(
                        "POST",
                        f"{evaluation}/evidence",
                        files={"file": (f"{question['id']}.pdf", EVIDENCE_PDF, "application/pdf")},
                        data={"question_id": question["id"]},
                    )
                    self.count("evaluations.evidence_uploaded")
                answers[question["id"]] = {"value": str(option["value"])}
            detail = await account.json(
                "PUT", f"{evaluation}/questionnaire", json_body={"answers": answers, "submit": True}
            )
        if detail["neutralisation"]["confirmed_at"] is None:
            detail = await account.json("POST", f"{evaluation}/neutralisation")
        if detail["result"] is None:

            async def compute() -> dict[str, Any] | None:
                try:
                    computed: dict[str, Any] = await account.json("POST", f"{evaluation}/compute")
                    return computed
                except ApiError as exc:
                    if exc.slug in BENCHMARK_WAIT_SLUGS:  # benchmark.published has not reached evaluation yet
                        return None
                    raise

            detail = await wait_for(compute, what=f"a benchmark for {period} at evaluation", deadline_s=self.deadline)
        await account.json("POST", f"{evaluation}/issue")
        self.count("evaluations.issued")
        return str(detail["id"])

    async def certificate_of(self, run: EnterpriseRun, period: str, evaluation_id: str) -> str:
        """Wait until the certificates service has issued the evaluation's certificate; its code."""

        async def issued() -> str | None:
            page = await run.account.json(
                "GET", "/api/certificates/certificates", params={"enterprise_id": run.enterprise_id, "period": period}
            )
            return next((str(c["code"]) for c in page["items"] if c["evaluation_id"] == evaluation_id), None)

        return await wait_for(issued, what=f"the certificate of {period}", deadline_s=self.deadline)

"""Regulator webhooks against a real HTTP receiver on 127.0.0.1: signatures, retries, dead state, regions."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from carbonid_analytics.domain.signing import verify
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EvaluationCompleted
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration


class Receiver:
    """Answers 503 to the first ``fail_first`` attempts of each message on /ok; /flaky fails until fixed."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.flaky_fixed = False
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                    seen = sum(
                        1
                        for r in receiver.requests
                        if r["headers"]["webhook-id"] == self.headers["webhook-id"] and r["path"] == self.path
                    )
                if self.path.startswith("/flaky") and not receiver.flaky_fixed:
                    code = 500
                elif self.path.startswith("/ok") and seen <= receiver.fail_first:
                    code = 503
                else:
                    code = 204
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def on(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


def evaluation(region: str, name: str) -> CloudEvent:
    now = datetime.now(UTC)
    payload = EvaluationCompleted(
        enterprise_id=uuid.uuid4(),
        evaluation_id=uuid.uuid4(),
        calculation_id=uuid.uuid4(),
        enterprise_name=name,
        region_code=region,
        industry_code="3011",
        period="2024",
        total_emissions_tco2=Decimal("1200.5"),
        net_emissions_tco2=Decimal("1000.5"),
        intensity_tco2_per_10k_cny=Decimal("0.8"),
        level="medium",
        benchmark_intensity_tco2_per_10k_cny=Decimal("1.0"),
        efficiency_value_k=Decimal("0.8"),
        grade=2,
        grade_colour="#57AB5A",
        neutralisation_rate=Decimal("0.1666"),
        rule_set_version="zhejiang-2022.v1",
        benchmark_version="330000-2024-v1",
        input_hash="a" * 64,
        completed_at=now,
    )
    return CloudEvent.of(payload, source="urn:carbonid:evaluation:330000")


async def test_webhooks_are_signed_retried_dead_lettered_and_regional(make_analytics: Any, publish: Any) -> None:
    with Receiver(fail_first=2) as receiver:
        async with make_analytics(
            webhook_poll_seconds=0.1,
            webhook_backoff_base_seconds=0.05,
            webhook_backoff_max_seconds=0.2,
            webhook_max_attempts=4,
        ) as analytics:
            c = analytics.client
            huzhou = analytics.as_("government", region="330500", username="huzhou01")
            jiangsu = analytics.as_("government", region="320000", username="jiangsu01")
            zhejiang = analytics.as_("government", region="330000", username="zhejiang01")

            bad = [
                ({"url": "ftp://127.0.0.1/x"}, huzhou, 422),
                ({"url": f"{receiver.url}/ok", "event_types": ["cn.carbonid.emission.calculated.v1"]}, huzhou, 422),
                ({"url": f"{receiver.url}/ok", "region_scope": "330000"}, huzhou, 403),
                ({"url": f"{receiver.url}/ok"}, analytics.as_("enterprise"), 403),
            ]
            for body, headers, code in bad:
                assert (await c.post("/subscriptions", json=body, headers=headers)).status_code == code, body

            made = {}
            for name, headers, path in (("huzhou", huzhou, "/ok/huzhou"), ("jiangsu", jiangsu, "/ok/jiangsu"),
                                        ("zhejiang", zhejiang, "/flaky")):  # fmt: skip
                response = await c.post(
                    "/subscriptions",
                    json={"url": receiver.url + path, "event_types": ["cn.carbonid.evaluation.completed.v1"]},
                    headers=headers,
                )
                assert response.status_code == 201, response.text
                made[name] = response.json()
                assert made[name]["secret"].startswith("whsec_")
            listed = (await c.get("/subscriptions", headers=huzhou)).json()["items"]
            assert [s["subscription_id"] for s in listed] == [made["huzhou"]["subscription_id"]]
            assert "secret" not in listed[0]
            # the province sees the subscriptions of its cities, not of other provinces
            listed = (await c.get("/subscriptions", headers=zhejiang)).json()["items"]
            assert {s["subscription_id"] for s in listed} == {
                made["huzhou"]["subscription_id"],
                made["zhejiang"]["subscription_id"],
            }

            in_huzhou, in_nanjing, in_hangzhou = (
                evaluation("330502", "吴兴企业"),
                evaluation("320102", "玄武企业"),
                evaluation("330102", "上城企业"),
            )
            await publish([in_huzhou, in_nanjing, in_hangzhou, in_huzhou])  # one duplicate

            async def statuses(name: str) -> dict[str, int]:
                sub = made[name]["subscription_id"]
                got = (await c.get(f"/subscriptions/{sub}", headers=zhejiang if name != "jiangsu" else jiangsu)).json()
                return dict(got["deliveries"])

            async def settled() -> bool:
                return (
                    await statuses("huzhou") == {"delivered": 1}
                    and await statuses("jiangsu") == {"delivered": 1}
                    and await statuses("zhejiang") == {"dead": 2}
                )

            await wait_until(settled, timeout=60, interval=0.2, what="deliveries settled")

            # region filtering: each receiver got exactly its region's event, never another's
            for name, path, event in (("huzhou", "/ok/huzhou", in_huzhou), ("jiangsu", "/ok/jiangsu", in_nanjing)):
                requests = receiver.on(path)
                assert len(requests) == 3  # two refusals, then accepted
                assert len({r["headers"]["webhook-id"] for r in requests}) == 1  # the same message each time
                for r in requests:
                    h = r["headers"]
                    verify(
                        made[name]["secret"],
                        h["webhook-id"],
                        int(h["webhook-timestamp"]),
                        r["body"],
                        h["webhook-signature"],
                        now=int(time.time()),
                    )
                    document = json.loads(r["body"])
                    assert document["type"] == "cn.carbonid.evaluation.completed.v1"
                    assert document["id"] == str(event.id)
                    assert document["data"]["evaluation_id"] == str(event.data.evaluation_id)
                    other = made["jiangsu" if name == "huzhou" else "huzhou"]["secret"]
                    with pytest.raises(ValueError, match="signature"):
                        verify(
                            other,
                            h["webhook-id"],
                            int(h["webhook-timestamp"]),
                            r["body"],
                            h["webhook-signature"],
                            now=int(time.time()),
                        )
            flaky = receiver.on("/flaky")
            assert len(flaky) == 8  # two events (吴兴, 上城) × four attempts
            assert {json.loads(r["body"])["data"]["region_code"] for r in flaky} == {"330502", "330102"}

            # the delivery log tells the story of each attempt
            sub = made["huzhou"]["subscription_id"]
            log = (await c.get(f"/subscriptions/{sub}/deliveries", headers=huzhou)).json()["items"]
            assert len(log) == 1
            assert [a["status_code"] for a in log[0]["log"]] == [503, 503, 204]
            assert log[0]["status"] == "delivered"
            assert log[0]["attempts"] == 3
            sub = made["zhejiang"]["subscription_id"]
            dead = (await c.get(f"/subscriptions/{sub}/deliveries", headers=zhejiang, params={"status": "dead"})).json()
            assert len(dead["items"]) == 2
            assert all([a["status_code"] for a in d["log"]] == [500] * 4 for d in dead["items"])

            # manual redelivery of a dead one, once the receiver is fixed
            receiver.flaky_fixed = True
            target = dead["items"][0]["delivery_id"]
            other_region = await c.post(f"/subscriptions/{sub}/deliveries/{target}/redeliver", headers=jiangsu)
            assert other_region.status_code == 404
            again = await c.post(f"/subscriptions/{sub}/deliveries/{target}/redeliver", headers=zhejiang)
            assert again.status_code == 202

            async def redelivered() -> bool:
                return await statuses("zhejiang") == {"dead": 1, "delivered": 1}

            await wait_until(redelivered, timeout=30, interval=0.1, what="redelivered")

            # deleting a subscription stops it
            sub = made["huzhou"]["subscription_id"]
            assert (await c.delete(f"/subscriptions/{sub}", headers=jiangsu)).status_code == 404
            assert (await c.delete(f"/subscriptions/{sub}", headers=huzhou)).status_code == 204
            assert (await c.get(f"/subscriptions/{sub}", headers=huzhou)).status_code == 404


async def test_only_the_owner_or_an_operator_manages_a_subscription_and_each_account_has_a_cap(
    make_analytics: Any,
) -> None:
    async with make_analytics(webhook_max_subscriptions_per_account=2) as analytics:
        c = analytics.client
        owner = analytics.as_("government", region="330500", username="huzhou01")
        colleague = analytics.as_("government", region="330500", username="huzhou02")
        province = analytics.as_("government", region="330000", username="zhejiang01")
        operator = analytics.as_("operator")
        made = []
        for n in range(2):
            response = await c.post("/subscriptions", json={"url": f"http://127.0.0.1:9/{n}"}, headers=owner)
            assert response.status_code == 201, response.text
            made.append(response.json())
        over = await c.post("/subscriptions", json={"url": "http://127.0.0.1:9/2"}, headers=owner)
        assert over.status_code == 409
        assert over.json()["type"].endswith("subscription-limit-reached")
        theirs = await c.post("/subscriptions", json={"url": "http://127.0.0.1:9/c"}, headers=colleague)
        assert theirs.status_code == 201  # the cap is per account

        first, second = (m["subscription_id"] for m in made)
        # colleagues and the province see the subscription but may not change it
        for other in (colleague, province):
            assert (await c.get(f"/subscriptions/{first}", headers=other)).status_code == 200
            assert (await c.delete(f"/subscriptions/{first}", headers=other)).status_code == 403
            assert (await c.post(f"/subscriptions/{first}/secret", headers=other)).status_code == 403
        rotated = await c.post(f"/subscriptions/{first}/secret", headers=owner)
        assert rotated.status_code == 200
        assert rotated.json()["secret"].startswith("whsec_")
        assert rotated.json()["secret"] != made[0]["secret"]
        assert (await c.delete(f"/subscriptions/{second}", headers=operator)).status_code == 204
        # a removed subscription frees its place under the cap
        assert (await c.post("/subscriptions", json={"url": "http://127.0.0.1:9/3"}, headers=owner)).status_code == 201

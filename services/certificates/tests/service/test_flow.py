"""From ``evaluation.completed`` to a signed, resolvable certificate, against the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import zxingcpp
from aiokafka import AIOKafkaConsumer
from certificates_service_support import GRADE_COLOURS, PREFIX, PUBLIC_BASE, Service, evaluation
from PIL import Image
from sqlalchemy import func, select, text

from carbonid_certificates.db import CertificateRow, EnterpriseProfile
from carbonid_certificates.domain.identifier import HandleValue, signed_certificate_from_values
from carbonid_certificates.domain.signing import KeySet, verify_certificate
from carbonid_certificates.handlers import certificate_id_for
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import CertificateIssued, EnterpriseResolved
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration


async def certificate_of(service: Service, evaluation_id: uuid.UUID) -> CertificateRow:
    async def probe() -> CertificateRow | None:
        async with service.app.state.certificates.runtime.sessions() as session:
            return await session.get(CertificateRow, certificate_id_for(evaluation_id))

    return await wait_until(probe, timeout=30, what=f"certificate of evaluation {evaluation_id}")


async def issued_events(service: Service, enterprise_id: uuid.UUID, count: int) -> list[CertificateIssued]:
    """Read the service's ``certificate.issued`` events of one enterprise back from the topic."""
    consumer = AIOKafkaConsumer(
        topic_for(EventType.CERTIFICATE_ISSUED, service.settings.topic_prefix),
        bootstrap_servers=service.bootstrap,
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    found: list[CertificateIssued] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    for record in records:
                        event = CloudEvent.decode(list(record.headers), record.value)
                        assert isinstance(event.data, CertificateIssued)
                        if event.data.enterprise_id == enterprise_id:
                            found.append(event.data)
    finally:
        await consumer.stop()
    return found


def dominant_dark_colour(image: Image.Image) -> str:
    colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert colours is not None
    counts: Counter[tuple[int, int, int]] = Counter()
    for n, rgb in colours:
        assert isinstance(rgb, tuple)
        if rgb != (255, 255, 255):
            counts[(rgb[0], rgb[1], rgb[2])] = n
    return "#{:02X}{:02X}{:02X}".format(*counts.most_common(1)[0][0])


async def test_evaluation_becomes_a_resolvable_signed_certificate(service: Service) -> None:
    data = evaluation(grade=2, level="low")
    await service.publish(data)
    row = await certificate_of(service, data.evaluation_id)
    assert row.code.startswith("CE-330502-2025Q3-2-")
    assert row.status == "valid"
    assert str(row.issued_on) == "2025-10-15"
    assert str(row.valid_until) == "2026-10-14"

    [issued] = await issued_events(service, data.enterprise_id, 1)
    assert issued.certificate_id == row.id
    assert issued.certificate_code == row.code
    assert issued.evaluation_id == data.evaluation_id
    assert issued.revokes == []
    assert issued.handle == f"{PREFIX}/{row.code}"
    assert issued.url == f"{PUBLIC_BASE}/c/{row.code}"
    assert (issued.grade, issued.level, issued.period) == (2, "low", "2025Q3")

    # the identifier record, resolved as any Handle client would, verifies offline with the published keys
    response = await service.client.get(f"/api/handles/{issued.handle}")
    assert response.status_code == 200
    record = response.json()
    assert record["responseCode"] == 1
    assert record["handle"] == issued.handle
    by_type = {v["type"]: v["data"]["value"] for v in record["values"]}
    assert by_type["URL"] == issued.url
    assert by_type["CARBONID.CERT.GRADE"] == "2"
    assert by_type["CARBONID.CERT.CODE"] == row.code
    assert by_type["CARBONID.CERT.HASH"] == row.content_hash
    assert by_type["CARBONID.CERT.SIGNATURE"] == row.signature
    assert by_type["CARBONID.CERT.STATUS"] == "valid"
    first = record["values"][0]
    assert set(first) == {"index", "type", "data", "ttl", "timestamp"}
    assert first["timestamp"].endswith("Z")
    keys = KeySet.from_jwks((await service.client.get("/.well-known/certificate-keys.json")).json())
    signed = signed_certificate_from_values([HandleValue.from_json(v) for v in record["values"]])
    verify_certificate(signed, keys)
    assert signed.certificate.enterprise_name == "湖州绿能纺织有限公司"

    # the enterprise alias resolves to the same certificate
    alias = f"{PREFIX}/ent.{data.enterprise_id}"
    aliased = (await service.client.get(f"/api/handles/{alias}")).json()
    assert aliased["handle"] == alias
    alias_types = {v["type"]: v["data"]["value"] for v in aliased["values"]}
    assert alias_types["CARBONID.CERT.HANDLE"] == issued.handle
    assert alias_types["URL"] == issued.url

    # filters, not found, and the handle echoed exactly as asked (handles are case-insensitive)
    typed = (await service.client.get(f"/api/handles/{issued.handle}", params={"type": "URL", "index": 3})).json()
    assert [(v["index"], v["type"]) for v in typed["values"]] == [(1, "URL"), (3, "CARBONID.CERT.GRADE")]
    subtypes = (await service.client.get(f"/api/handles/{issued.handle}", params={"type": "CARBONID.CERT."})).json()
    assert {v["index"] for v in subtypes["values"]} == set(range(2, 11))
    none = await service.client.get(f"/api/handles/{issued.handle}", params={"index": 999})
    assert (none.status_code, none.json()) == (200, {"responseCode": 200, "handle": issued.handle, "values": []})
    lower = issued.handle.lower()
    assert (await service.client.get(f"/api/handles/{lower}")).json()["handle"] == lower
    for missing in (f"{PREFIX}/CE-330502-2025Q3-2-00000000-0", "88.999/x", f"{PREFIX}/ent.{uuid.uuid4()}"):
        answer = await service.client.get(f"/api/handles/{missing}")
        assert answer.status_code == 404
        assert answer.json() == {"responseCode": 100, "handle": missing}
    bad = await service.client.get(f"/api/handles/{issued.handle}", params={"index": "x"})
    assert (bad.status_code, bad.json()["responseCode"]) == (400, 4)


async def test_code_images_decode_to_the_url_in_the_grade_colour(service: Service) -> None:
    data = evaluation(grade=4, level="high")
    await service.publish(data)
    row = await certificate_of(service, data.evaluation_id)
    url = f"{PUBLIC_BASE}/c/{row.code}"

    response = await service.client.get(f"/public/certificates/{row.code}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert min(image.size) >= 1200
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == url
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert dominant_dark_colour(image) == GRADE_COLOURS[4]

    etag = response.headers["etag"]
    again = await service.client.get(f"/public/certificates/{row.code}/qr.png", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert "max-age" in response.headers["cache-control"]

    svg = await service.client.get(f"/public/certificates/{row.code.lower()}/qr.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert f'stroke="{GRADE_COLOURS[4].lower()}"' in svg.text.lower()
    assert "4级" in svg.text

    owner = service.tokens.headers("enterprise", enterprise_id=data.enterprise_id)
    download = await service.client.get(f"/certificates/{row.id}/download", params={"format": "png"}, headers=owner)
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="carbon-efficiency-code-{row.code}.png"'
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(download.content)))[0].text == url
    stranger = service.tokens.headers("enterprise", enterprise_id=uuid.uuid4())
    assert (await service.client.get(f"/certificates/{row.id}/download", headers=stranger)).status_code == 403
    assert (await service.client.get(f"/certificates/{row.id}/download")).status_code == 401
    unknown = await service.client.get("/public/certificates/CE-330502-2025Q3-4-00000000-0/qr.png")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_verification_detects_a_tampered_document(service: Service) -> None:
    data = evaluation(enterprise_name="安吉竹木制品有限公司")
    await service.publish(data)
    row = await certificate_of(service, data.evaluation_id)

    verified = (await service.client.get(f"/public/certificates/{row.code}/verification")).json()
    assert verified["signature_valid"] is True
    assert verified["status"] == "valid"
    assert verified["kid"] == row.kid
    assert verified["content_hash"] == row.content_hash
    assert verified["document"]["certificate"]["code"] == row.code

    async with service.app.state.certificates.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE certificates SET document = jsonb_set(document, '{certificate,grade}', '1') WHERE id = :id"),
            {"id": row.id},
        )
    tampered = (await service.client.get(f"/public/certificates/{row.code}/verification")).json()
    assert tampered["signature_valid"] is False
    assert tampered["reason"]["en"]
    page = await service.client.get(f"/public/certificates/{row.code}")
    assert "签名无效" in page.text
    assert "签名有效" not in page.text

    # a field changed in a way that keeps the document well-formed: only the signature notices
    async with service.app.state.certificates.runtime.sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE certificates SET document = jsonb_set(jsonb_set(document, '{certificate,grade}', '3'),"
                " '{certificate,intensity_tco2_per_10k_cny}', '\"0.8727\"') WHERE id = :id"
            ),
            {"id": row.id},
        )
    changed = (await service.client.get(f"/public/certificates/{row.code}/verification")).json()
    assert changed["signature_valid"] is False
    assert changed["reason"]["en"] == "the certificate signature does not verify"
    assert changed["content_hash"] != changed["issued_content_hash"]


async def test_superseding_evaluation_revokes_and_moves_the_alias(service: Service) -> None:
    first = evaluation(grade=4, level="high")
    await service.publish(first)
    old = await certificate_of(service, first.evaluation_id)
    service.clock.advance(timedelta(minutes=1))
    second = evaluation(
        enterprise_id=first.enterprise_id,
        supersedes=first.evaluation_id,
        grade=2,
        level="low",
        evaluation_id=uuid.uuid4(),
    )
    await service.publish(second)
    new = await certificate_of(service, second.evaluation_id)

    events = await issued_events(service, first.enterprise_id, 2)
    assert [e.certificate_id for e in events] == [old.id, new.id]
    assert events[1].revokes == [old.id]

    verification = (await service.client.get(f"/public/certificates/{old.code}/verification")).json()
    assert verification["status"] == "superseded"
    assert verification["signature_valid"] is True  # superseded, but still authentic
    assert verification["superseded_by_code"] == new.code
    page = (await service.client.get(f"/public/certificates/{old.code}")).text
    assert "本证书已被新的评价结果取代" in page
    assert "已被取代" in page

    alias = (await service.client.get(f"/api/handles/{PREFIX}/ent.{first.enterprise_id}", params={"index": 2})).json()
    assert alias["values"][0]["data"]["value"] == new.code
    old_record = (
        await service.client.get(f"/api/handles/{PREFIX}/{old.code}", params={"type": "CARBONID.CERT.STATUS"})
    ).json()
    assert old_record["values"][0]["data"]["value"] == "superseded"

    owner = service.tokens.headers("enterprise", enterprise_id=first.enterprise_id)
    current = (await service.client.get("/certificates/current", headers=owner)).json()
    assert current["code"] == new.code
    listing = (await service.client.get("/certificates", headers=owner)).json()["items"]
    assert [(c["code"], c["status"]) for c in listing] == [(new.code, "valid"), (old.code, "superseded")]


async def test_an_evaluation_never_supersedes_another_enterprises_certificate(service: Service) -> None:
    victim = evaluation(grade=1, level="low")
    await service.publish(victim)
    kept = await certificate_of(service, victim.evaluation_id)
    other = evaluation(supersedes=victim.evaluation_id, evaluation_id=uuid.uuid4())  # another enterprise
    assert other.enterprise_id != victim.enterprise_id
    await service.publish(other)
    await certificate_of(service, other.evaluation_id)
    verification = (await service.client.get(f"/public/certificates/{kept.code}/verification")).json()
    assert verification["status"] == "valid"
    assert verification["superseded_by_code"] is None


async def test_an_evaluation_contradicting_the_resolved_region_is_not_signed(service: Service) -> None:
    enterprise_id = uuid.uuid4()
    profile = EnterpriseResolved(
        enterprise_id=enterprise_id,
        identifier_prefix="88.118.8",
        name="湖州示例建材有限公司",
        uscc="91330502MA2B3C4D58",
        region_code="330502",
        province_code="330000",
        city_code="330500",
        county_code="330502",
        industry_code="3011",
        resolved_at=service.clock(),
    )
    await service.publish(profile)

    async def profile_stored() -> EnterpriseProfile | None:
        async with service.app.state.certificates.runtime.sessions() as session:
            return await session.get(EnterpriseProfile, enterprise_id)

    await wait_until(profile_stored, what="the enterprise profile stored")
    consumers = service.app.state.runtime.consumers
    dead_before = consumers.dead_lettered
    elsewhere = evaluation(enterprise_id=enterprise_id, region_code="320102")  # Nanjing, not Huzhou
    await service.publish(elsewhere)

    async def refused() -> bool:
        return bool(consumers.dead_lettered > dead_before)

    await wait_until(refused, what="the contradicting evaluation dead-lettered")
    async with service.app.state.certificates.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(CertificateRow).where(CertificateRow.enterprise_id == enterprise_id)
        )
    assert count == 0


async def test_redelivery_creates_nothing_new(service: Service) -> None:
    data = evaluation()
    [event] = await service.publish(data)
    row = await certificate_of(service, data.evaluation_id)
    republished = CloudEvent.of(data, source="urn:carbonid:evaluation:test")  # same evaluation, new event id
    skipped_before = service.app.state.runtime.consumers.skipped
    await service.publish(events=[event, republished])

    async def both_seen() -> bool:
        return bool(service.app.state.runtime.consumers.skipped > skipped_before)

    await wait_until(both_seen, what="the redelivered event skipped")
    # the republished one is applied but finds its certificate: still one certificate, one event
    follow_up = evaluation()
    await service.publish(follow_up)
    await certificate_of(service, follow_up.evaluation_id)
    async with service.app.state.certificates.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(CertificateRow).where(CertificateRow.enterprise_id == data.enterprise_id)
        )
    assert count == 1
    assert [e.certificate_id for e in await issued_events(service, data.enterprise_id, 1)] == [row.id]


async def test_public_page_shows_the_certificate_in_chinese(service: Service) -> None:
    enterprise_id = uuid.uuid4()
    profile = EnterpriseResolved(
        enterprise_id=enterprise_id,
        identifier_prefix="88.118.8",
        name="湖州示例建材有限公司",
        uscc="91330502MA2B3C4D1U",
        region_code="330502",
        province_code="330000",
        city_code="330500",
        county_code="330502",
        industry_code="3011",
        resolved_at=service.clock(),
    )
    await service.publish(profile)

    async def profile_stored() -> EnterpriseProfile | None:
        async with service.app.state.certificates.runtime.sessions() as session:
            return await session.get(EnterpriseProfile, enterprise_id)

    await wait_until(profile_stored, what="the enterprise profile stored")  # the topics are not ordered together
    data = evaluation(enterprise_id=enterprise_id, enterprise_name=None, industry_code="3011")
    await service.publish(data)
    row = await certificate_of(service, data.evaluation_id)
    assert row.enterprise_name == "湖州示例建材有限公司"

    page = await service.client.get(f"/public/certificates/{row.code}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for expected in (
        "企业碳效评价证书",
        "湖州示例建材有限公司",
        "91330502MA2B3C4D1U",
        "浙江省",
        "2025年第三季度",
        "3级",
        "碳排放强度",
        "1.8727 tCO₂/万元",
        "11.04%",
        "有效期至",
        "2026-10-14",
        "签名有效",
        row.code,
        f"{PREFIX}/{row.code}",
    ):
        assert expected in html, expected
    assert "http://" not in html
    assert "https://" not in html  # no external assets
    missing = await service.client.get("/public/certificates/not-a-code")
    assert missing.status_code == 404
    assert "未找到" in missing.text

    service.clock.advance(timedelta(days=366))
    try:
        expired = (await service.client.get(f"/public/certificates/{row.code}/verification")).json()
        assert expired["status"] == "expired"
        assert "已于 2026-10-14 到期" in (await service.client.get(f"/public/certificates/{row.code}")).text
        owner = service.tokens.headers("enterprise", enterprise_id=enterprise_id)
        assert (await service.client.get("/certificates/current", headers=owner)).status_code == 404
    finally:
        service.clock.advance(timedelta(days=-366))


async def test_key_rotation_keeps_old_certificates_verifiable(service: Service) -> None:
    before = evaluation()
    await service.publish(before)
    old = await certificate_of(service, before.evaluation_id)
    assert (
        await service.client.post("/certificates/keys/rotate", headers=service.tokens.headers("enterprise"))
    ).status_code == 403
    rotated = await service.client.post("/certificates/keys/rotate", headers=service.operator())
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    assert new_kid != old.kid
    jwks = (await service.client.get("/.well-known/certificate-keys.json")).json()
    assert {old.kid, new_kid} <= {k["kid"] for k in jwks["keys"]}
    assert all("d" not in k for k in jwks["keys"])

    after = evaluation()
    await service.publish(after)
    new = await certificate_of(service, after.evaluation_id)
    assert new.kid == new_kid
    for row in (old, new):
        verified = (await service.client.get(f"/public/certificates/{row.code}/verification")).json()
        assert verified["signature_valid"] is True


async def test_listing_is_scoped_by_role(service: Service) -> None:
    mine = evaluation(region_code="330502")
    elsewhere = evaluation(region_code="110101")
    await service.publish(mine, elsewhere)
    await certificate_of(service, mine.evaluation_id)
    await certificate_of(service, elsewhere.evaluation_id)

    async def codes(headers: dict[str, str], **params: Any) -> set[uuid.UUID]:
        response = await service.client.get("/certificates", headers=headers, params={"limit": 200, **params})
        assert response.status_code == 200
        return {uuid.UUID(c["enterprise_id"]) for c in response.json()["items"]}

    zhejiang = await codes(service.tokens.headers("government", region="330000"))
    assert mine.enterprise_id in zhejiang
    assert elsewhere.enterprise_id not in zhejiang
    everyone = await codes(service.operator())
    assert {mine.enterprise_id, elsewhere.enterprise_id} <= everyone
    assert await codes(service.tokens.headers("enterprise", enterprise_id=mine.enterprise_id)) == {mine.enterprise_id}
    assert (await service.client.get("/certificates")).status_code == 401
    other_region = service.tokens.headers("government", region="110000")
    current = await service.client.get(
        "/certificates/current", params={"enterprise_id": str(mine.enterprise_id)}, headers=other_region
    )
    assert current.status_code == 403

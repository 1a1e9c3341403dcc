"""Event handlers: ``evaluation.completed`` issues a signed certificate; ``enterprise.resolved`` keeps the
enterprise's name and USCC for the certificates it will get.

Each handler runs inside the consumer's transaction, which also records the event in the inbox: the new
certificate, the revocation of those it supersedes and the ``certificate.issued`` outbox row commit together.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_certificates.config import CertificatesSettings
from carbonid_certificates.db import CertificateRow, EnterpriseProfile
from carbonid_certificates.domain.certificate import (
    CertificateStatus,
    RevocationReason,
    content_hash,
    issue_certificate,
)
from carbonid_certificates.domain.errors import CertificateDomainError
from carbonid_certificates.domain.signing import sign_certificate
from carbonid_certificates.handles import certificate_handle
from carbonid_certificates.keys import CertificateKeys
from carbonid_contracts.codes.period import Period
from carbonid_contracts.codes.uscc import uscc_is_valid
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import CertificateIssued, EnterpriseResolved, EvaluationCompleted
from carbonid_kit.messaging import Outbox, PermanentError

log = logging.getLogger(__name__)

# Certificate ids are derived from evaluation ids: a redelivered or re-published evaluation finds its certificate.
CERTIFICATE_NAMESPACE = uuid.UUID("6f1c2a8e-3d4b-5e6f-9a0b-1c2d3e4f5a6b")


def certificate_id_for(evaluation_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(CERTIFICATE_NAMESPACE, str(evaluation_id))


class CertificateIssuer:
    """Turns completed evaluations into signed certificates (the consumer side of flow 4)."""

    def __init__(
        self,
        settings: CertificatesSettings,
        outbox: Outbox,
        keys: CertificateKeys,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.keys = keys
        self.clock = clock
        self.zone = ZoneInfo(settings.certificate_timezone)

    async def on_enterprise_resolved(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, EnterpriseResolved)
        values = {
            "name": data.name,
            "uscc": data.uscc if uscc_is_valid(data.uscc) else None,
            "region_code": data.region_code,
            "resolved_at": data.resolved_at,
        }
        stmt = insert(EnterpriseProfile).values(enterprise_id=data.enterprise_id, **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[EnterpriseProfile.enterprise_id],
            set_=values,
            where=EnterpriseProfile.resolved_at <= data.resolved_at,  # an older resolution never overwrites
        )
        await session.execute(stmt)

    async def on_evaluation_completed(self, session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, EvaluationCompleted)
        certificate_id = certificate_id_for(data.evaluation_id)
        if await session.get(CertificateRow, certificate_id) is not None:
            return  # the same evaluation published again under a new event id: its certificate exists
        profile = await session.get(EnterpriseProfile, data.enterprise_id)
        if profile is not None and profile.region_code != data.region_code:
            # What is signed must agree with what the resolver said of the enterprise.
            raise PermanentError(
                f"evaluation {data.evaluation_id} places enterprise {data.enterprise_id} in {data.region_code}, "
                f"its resolved profile in {profile.region_code}"
            )
        name = data.enterprise_name or (profile.name if profile else None) or f"企业 {data.enterprise_id}"
        now = self.clock()
        issued_on = now.astimezone(self.zone).date()
        try:
            certificate = issue_certificate(
                certificate_id=certificate_id,
                evaluation_id=data.evaluation_id,
                enterprise_id=data.enterprise_id,
                enterprise_name=name,
                uscc=profile.uscc if profile else None,
                region_code=data.region_code,
                industry_code=data.industry_code,
                period=data.period,
                grade=data.grade,
                grade_colour=data.grade_colour,
                level=data.level,
                intensity_tco2_per_10k_cny=Decimal(data.intensity_tco2_per_10k_cny),
                benchmark_intensity_tco2_per_10k_cny=Decimal(data.benchmark_intensity_tco2_per_10k_cny),
                efficiency_value_k=Decimal(data.efficiency_value_k),
                neutralisation_rate=Decimal(data.neutralisation_rate),
                total_emissions_tco2=Decimal(data.total_emissions_tco2),
                net_emissions_tco2=Decimal(data.net_emissions_tco2),
                rule_set_version=data.rule_set_version,
                benchmark_version=data.benchmark_version,
                evaluation_input_hash=data.input_hash,
                issued_on=issued_on,
                validity_months=self.settings.certificate_validity_months,
            )
        except CertificateDomainError as exc:
            raise PermanentError(f"evaluation {data.evaluation_id} cannot become a certificate: {exc}") from exc
        signed = sign_certificate(certificate, await self.keys.active_signing_key(session))
        period = Period.parse(data.period)

        superseded: ColumnElement[bool] = (CertificateRow.enterprise_id == data.enterprise_id) & (
            CertificateRow.period == data.period
        )
        if data.supersedes is not None:
            # Only a certificate of the same enterprise: an evaluation never revokes another enterprise's.
            superseded = or_(
                superseded,
                (CertificateRow.evaluation_id == data.supersedes)
                & (CertificateRow.enterprise_id == data.enterprise_id),
            )
        revoked = (
            (
                await session.execute(
                    update(CertificateRow)
                    .where(superseded, CertificateRow.status == CertificateStatus.VALID.value)
                    .values(
                        status=CertificateStatus.SUPERSEDED.value,
                        revoked_on=issued_on,
                        revocation_reason=RevocationReason.SUPERSEDED.value,
                        superseded_by=certificate_id,
                        updated_at=now,
                    )
                    .returning(CertificateRow.id)
                )
            )
            .scalars()
            .all()
        )

        session.add(
            CertificateRow(
                id=certificate_id,
                code=certificate.code,
                evaluation_id=data.evaluation_id,
                enterprise_id=data.enterprise_id,
                enterprise_name=name,
                region_code=data.region_code,
                industry_code=data.industry_code,
                period=data.period,
                period_start=period.start,
                period_end=period.end,
                grade=data.grade,
                grade_colour=certificate.grade_colour,
                level=data.level,
                issued_at=now,
                issued_on=issued_on,
                valid_until=certificate.valid_until,
                document=signed.to_document(),
                content_hash=content_hash(certificate),
                kid=signed.kid,
                signature=signed.signature,
                status=CertificateStatus.VALID.value,
                updated_at=now,
            )
        )
        await session.flush()
        await self.outbox.add(
            session,
            CertificateIssued(
                enterprise_id=data.enterprise_id,
                certificate_id=certificate_id,
                certificate_code=certificate.code,
                evaluation_id=data.evaluation_id,
                revokes=sorted(revoked),
                region_code=data.region_code,
                industry_code=data.industry_code,
                period=data.period,
                grade=data.grade,
                level=data.level,
                handle=certificate_handle(self.settings, certificate.code),
                url=self.settings.public_url(certificate.code),
                issued_at=now,
                valid_until=certificate.valid_until,
            ),
            traceparent=event.traceparent,
        )
        log.info(
            "certificate issued",
            extra={
                "certificate_code": certificate.code,
                "evaluation_id": str(data.evaluation_id),
                "revokes": len(revoked),
            },
        )

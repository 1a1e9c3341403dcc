"""Builders shared by the certificates domain tests."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from carbonid_certificates.domain.certificate import Certificate, issue_certificate

GRADE_COLOURS = {1: "#1A7F37", 2: "#57AB5A", 3: "#D4A72C", 4: "#E16F24", 5: "#CF222E"}
CERTIFICATE_ID = uuid.UUID("3b0f6a52-9c1e-4d57-8a7e-0c5b2f1d9e44")
USCC = "91330502MA2B3C4D1U"


def certificate(**overrides: Any) -> Certificate:
    fields: dict[str, Any] = {
        "certificate_id": CERTIFICATE_ID,
        "evaluation_id": uuid.UUID("9d7c3a10-1111-4a2b-9c3d-123456789abc"),
        "enterprise_id": uuid.UUID("0f1e2d3c-4b5a-4697-8877-665544332211"),
        "enterprise_name": "湖州绿能纺织有限公司",
        "uscc": USCC,
        "region_code": "330502",
        "industry_code": "1713",
        "period": "2025Q3",
        "grade": 3,
        "grade_colour": GRADE_COLOURS[3],
        "level": "medium",
        "intensity_tco2_per_10k_cny": Decimal("1.8727"),
        "benchmark_intensity_tco2_per_10k_cny": Decimal("1.7"),
        "efficiency_value_k": Decimal("1.1016"),
        "neutralisation_rate": Decimal("0.1104"),
        "total_emissions_tco2": Decimal("10000.0000"),
        "net_emissions_tco2": Decimal("8895.1000"),
        "rule_set_version": "zhejiang-2022/v1",
        "benchmark_version": "bm-2025.1",
        "evaluation_input_hash": "ab" * 32,
        "issued_on": date(2025, 10, 15),
        "validity_months": 12,
    }
    fields.update(overrides)
    return issue_certificate(**fields)

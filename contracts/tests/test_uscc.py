"""The USCC validator (GB 32100-2015 with the embedded GB 11714 organisation code) on real published codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from carbonid_contracts.codes.uscc import (
    REGISTRATION_TYPES,
    USCC,
    USCC_ALPHABET,
    organisation_code_check_character,
    uscc_check_character,
    uscc_is_valid,
    uscc_problem,
)

# Codes as their holders publish them on their business licences and annual reports (国家企业信用信息公示系统).
PUBLISHED = {
    "914403001922038216": "华为技术有限公司",
    "9144030071526726XG": "腾讯科技（深圳）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91110000710925462X": "中国石油天然气股份有限公司",
}


class Holder(BaseModel):
    uscc: USCC


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_published_codes_are_valid(code: str) -> None:
    assert uscc_problem(code) is None
    assert Holder(uscc=code.lower()).uscc == code


def test_organisation_code_check_character_per_gb_11714() -> None:
    # 华为's organisation code 19220382-1 and 腾讯's 71526726-X: both check values of the standard's table.
    assert organisation_code_check_character("19220382") == "1"
    assert organisation_code_check_character("71526726") == "X"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("B14403001922038216", "registration authority"),  # B is no authority of GB 32100
        ("944403001922038216", "organisation type"),  # 工商 registers types 1-3 only
        ("91440300192203821X", "check character"),
        ("914403001922038226", "organisation code"),  # body intact, GB 11714 check character changed
        ("9144030019220382I6", "18 characters"),  # I is not in the alphabet
        ("91440300192203821", "18 characters"),
    ],
)
def test_each_check_refuses(code: str, reason: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None
    assert reason in problem
    with pytest.raises(ValidationError):
        Holder(uscc=code)


def test_a_wrong_organisation_check_character_is_refused_even_with_a_matching_final_check() -> None:
    first17 = "91440300" + "19220382" + "2"
    assert not uscc_is_valid(first17 + uscc_check_character(first17))


_authority_and_type = st.sampled_from([a + t for a, types in REGISTRATION_TYPES.items() for t in sorted(types)])
_body = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)
_division = st.text(alphabet="0123456789", min_size=6, max_size=6)


@given(_authority_and_type, _division, _body)
def test_any_well_formed_code_is_valid_and_every_other_final_character_is_refused(
    head: str, division: str, body: str
) -> None:
    first17 = head + division + body + organisation_code_check_character(body)
    check = uscc_check_character(first17)
    assert uscc_is_valid(first17 + check)
    for other in USCC_ALPHABET:
        if other != check:
            assert not uscc_is_valid(first17 + other)

"""The manual's account rules, at their boundaries and with hypothesis."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_identity.domain.accounts import scope_violations
from carbonid_identity.domain.policy import (
    fold_username,
    new_password_violations,
    password_classes,
    password_violations,
    registration_violations,
    username_violations,
)

PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))


def codes(violations: list) -> set[str]:
    return {v.code for v in violations}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("abcdef", {"username-too-short"}),  # 6: not "longer than 6"
        ("abcdefg", set()),  # 7
        ("a" * 15, set()),  # 15
        ("a" * 16, {"username-too-long"}),  # 16
        ("Ab1_!@#$%^&*()", set()),  # symbols are allowed
        ("abc defg", {"username-characters"}),  # space
        ("张三李四王五赵六", {"username-characters"}),  # CJK
        ("ａｂｃｄｅｆｇ", {"username-characters"}),  # full-width look-alikes
        ("abc\u200bdefg", {"username-characters"}),  # zero-width space
        ("abcdefg\u202e", {"username-characters"}),  # bidi override
        ("аbcdefg", {"username-characters"}),  # Cyrillic а
        ("abcdef\x00g", {"username-characters"}),
        ("", {"username-too-short"}),
    ],
)
def test_username_rules(username: str, expected: set[str]) -> None:
    assert codes(username_violations(username)) == expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("abc1234", {"password-length"}),  # 7
        ("abc12345", set()),  # 8
        ("abcdefgh1234567!", set()),  # 16
        ("abcdefgh1234567!x", {"password-length"}),  # 17
        ("abcdefgh", {"password-composition"}),  # letters only
        ("ABCDefgh", {"password-composition"}),  # upper and lower are one class: letters
        ("12345678", {"password-composition"}),
        ("!@#$%^&*", {"password-composition"}),
        ("abcd!@#$", set()),  # letters + special
        ("1234!@#$", set()),  # digits + special
        ("abc 12345", {"password-characters"}),
        ("密码abc12345", {"password-characters"}),
    ],
)
def test_password_rules(password: str, expected: set[str]) -> None:
    assert codes(password_violations(password)) == expected


def test_confirmation_must_match() -> None:
    assert codes(registration_violations("alice_01", "abc12345", "abc12346")) == {"password-mismatch"}
    assert registration_violations("alice_01", "abc12345", "abc12345") == []
    assert codes(new_password_violations("abc12345", "abc1234X")) == {"password-mismatch"}


def test_violations_name_their_fields_in_both_languages() -> None:
    violations = registration_violations("abc", "abc", "x")
    assert {v.field for v in violations} == {"username", "password", "password_confirm"}
    assert all(v.zh and v.en and v.zh != v.en for v in violations)


@given(st.text(alphabet=PRINTABLE, min_size=7, max_size=15))
def test_every_printable_ascii_username_of_7_to_15_is_accepted(username: str) -> None:
    assert username_violations(username) == []


@given(st.text(min_size=0, max_size=40))
def test_a_username_is_accepted_exactly_when_the_rule_says(username: str) -> None:
    ok = 7 <= len(username) <= 15 and all(ch in PRINTABLE for ch in username)
    assert (username_violations(username) == []) is ok


@given(st.text(alphabet=PRINTABLE, min_size=0, max_size=24))
def test_a_password_is_accepted_exactly_when_the_rule_says(password: str) -> None:
    classes = sum(
        [
            any(c in string.ascii_letters for c in password),
            any(c in string.digits for c in password),
            any(c not in string.ascii_letters + string.digits for c in password),
        ]
    )
    assert password_classes(password) == classes
    assert (password_violations(password) == []) is (8 <= len(password) <= 16 and classes >= 2)


def test_usernames_fold_case() -> None:
    assert fold_username("Alice_01") == fold_username("aLICE_01")


@pytest.mark.parametrize(
    ("role", "scope", "expected"),
    [
        ("government", "330000", set()),  # province
        ("government", "330500", set()),  # city
        ("government", "330502", set()),  # county
        ("government", None, {"scope-required"}),
        ("government", "100000", {"unknown-region"}),  # not a GB/T 2260 code: no "national" scope
        ("government", "339999", {"unknown-region"}),
        ("operator", None, set()),
        ("operator", "330000", {"scope-not-allowed"}),
        ("enterprise", "330000", {"scope-not-allowed"}),
    ],
)
def test_region_scopes(role: str, scope: str | None, expected: set[str]) -> None:
    assert codes(scope_violations(role, scope)) == expected  # type: ignore[arg-type]

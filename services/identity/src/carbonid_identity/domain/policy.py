"""Account rules from the product manual (注册登录, 重置密码).

- Username: more than 6 and at most 15 characters of letters, digits or symbols.
- Password: 8–16 characters with at least two of: letters, digits, special characters.
- The confirmation must match; a new password must differ from the old one.

"Letters, digits or symbols" is read as printable ASCII without spaces: case folding is then unambiguous
(usernames are unique case-insensitively) and look-alike characters (full-width forms, Cyrillic letters,
zero-width joiners, bidi overrides) cannot make two names that read the same.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

USERNAME_MIN = 7  # "longer than 6"
USERNAME_MAX = 15
PASSWORD_MIN = 8
PASSWORD_MAX = 16
PASSWORD_MIN_CLASSES = 2

_PRINTABLE_NO_SPACE = frozenset(chr(c) for c in range(0x21, 0x7F))
_LETTERS = frozenset(string.ascii_letters)
_DIGITS = frozenset(string.digits)


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule of one field; ``field`` is the JSON member name."""

    field: str
    code: str
    zh: str
    en: str


def fold_username(username: str) -> str:
    """The key usernames are unique by: ``Alice_01`` and ``alice_01`` are the same account."""
    return username.lower()


def username_violations(username: str, *, field: str = "username") -> list[RuleViolation]:
    """Why ``username`` is not acceptable (empty when it is)."""
    out: list[RuleViolation] = []
    if not all(ch in _PRINTABLE_NO_SPACE for ch in username):
        out.append(
            RuleViolation(
                field,
                "username-characters",
                "用户名只能包含字母、数字或符号（不含空格、中文及全角字符）",
                "A username may contain only letters, digits or symbols (no spaces, CJK or full-width characters)",
            )
        )
    if len(username) < USERNAME_MIN:
        out.append(
            RuleViolation(
                field,
                "username-too-short",
                f"用户名长度须超过6位（至少{USERNAME_MIN}位）",
                f"A username must be longer than 6 characters (at least {USERNAME_MIN})",
            )
        )
    elif len(username) > USERNAME_MAX:
        out.append(
            RuleViolation(
                field,
                "username-too-long",
                f"用户名长度不能超过{USERNAME_MAX}位",
                f"A username may have at most {USERNAME_MAX} characters",
            )
        )
    return out


def password_classes(password: str) -> int:
    """How many of the classes letters, digits, special characters ``password`` uses."""
    letters = any(ch in _LETTERS for ch in password)
    digits = any(ch in _DIGITS for ch in password)
    special = any(ch in _PRINTABLE_NO_SPACE and ch not in _LETTERS and ch not in _DIGITS for ch in password)
    return int(letters) + int(digits) + int(special)


def password_violations(password: str, *, field: str = "password") -> list[RuleViolation]:
    """Why ``password`` is not acceptable (empty when it is)."""
    out: list[RuleViolation] = []
    if not all(ch in _PRINTABLE_NO_SPACE for ch in password):
        out.append(
            RuleViolation(
                field,
                "password-characters",
                "密码只能包含字母、数字和特殊字符（不含空格、中文及全角字符）",
                "A password may contain only letters, digits and special characters (no spaces, CJK or full-width)",
            )
        )
    if len(password) < PASSWORD_MIN or len(password) > PASSWORD_MAX:
        out.append(
            RuleViolation(
                field,
                "password-length",
                f"密码长度须为{PASSWORD_MIN}-{PASSWORD_MAX}位",
                f"A password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters",
            )
        )
    if password_classes(password) < PASSWORD_MIN_CLASSES:
        out.append(
            RuleViolation(
                field,
                "password-composition",
                "密码须至少包含字母、数字、特殊字符中的两种",
                "A password must combine at least two of: letters, digits, special characters",
            )
        )
    return out


def confirmation_violations(password: str, confirmation: str, *, field: str) -> list[RuleViolation]:
    if password == confirmation:
        return []
    return [RuleViolation(field, "password-mismatch", "两次输入的密码不一致", "The passwords do not match")]


def registration_violations(username: str, password: str, confirmation: str) -> list[RuleViolation]:
    """Every rule a self-registration breaks, field by field (empty when it may proceed)."""
    return [
        *username_violations(username),
        *password_violations(password),
        *confirmation_violations(password, confirmation, field="password_confirm"),
    ]


def new_password_violations(new_password: str, confirmation: str) -> list[RuleViolation]:
    """The rules a new password breaks before it is compared with the old one."""
    return [
        *password_violations(new_password, field="new_password"),
        *confirmation_violations(new_password, confirmation, field="new_password_confirm"),
    ]

"""Unified social credit code (GB 32100-2015): 18 characters with a check character."""

from typing import Annotated

from pydantic import AfterValidator

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The check character for the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        return False
    return uscc_check_character(code[:17]) == code[17]


def _validate(code: str) -> str:
    code = code.strip().upper()
    if not uscc_is_valid(code):
        raise ValueError("invalid unified social credit code (GB 32100-2015) / 统一社会信用代码无效")
    return code


USCC = Annotated[str, AfterValidator(_validate)]

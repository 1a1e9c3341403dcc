"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, four checks.

Layout: position 1 registration authority (登记管理部门代码), 2 organisation type (机构类别代码) within that
authority, 3-8 the registering authority's GB/T 2260 administrative division (six digits), 9-17 the organisation
code of GB 11714 (eight body characters and its own check character), 18 the check character of GB 32100
(modulus 31 over the 17 preceding characters). A code is valid when its alphabet, authority, type, division
digits and both check characters are right.
"""

from typing import Annotated

from pydantic import AfterValidator

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 32100-2015 appendix A: registration authority → the organisation types it registers.
# 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商 (市场监管), A 中央军委改革和编制办公室,
# N 农业, Y 其他.
REGISTRATION_TYPES: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),  # 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": frozenset("19"),  # 外国常驻新闻机构, 其他
    "3": frozenset("1234559"),  # 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": frozenset("19"),  # 外国在华文化中心, 其他
    "5": frozenset("1239"),  # 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻内地代表机构, 其他
    "7": frozenset("129"),  # 宗教活动场所, 宗教院校, 其他
    "8": frozenset("19"),  # 基层工会, 其他
    "9": frozenset("123"),  # 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 军队事业单位, 其他
    "N": frozenset("1239"),  # 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": frozenset("1"),  # 其他
}

# GB 11714-1997: the organisation code's body characters are digits and capital letters valued 0-35; check
# character C9 = 11 − (Σ wᵢ·cᵢ mod 11), 10 written "X" and 11 written "0".
ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANISATION_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def uscc_check_character(first17: str) -> str:
    """The check character (GB 32100) for the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_character(body8: str) -> str:
    """The check character (GB 11714) of an eight-character organisation code body."""
    total = sum(_ORGANISATION_VALUES.index(ch) * w for ch, w in zip(body8, ORGANISATION_CODE_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC (English), or None when it is."""
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        return "18 characters from 0-9 and A-H J-N P Q R T U W X Y"
    types = REGISTRATION_TYPES.get(code[0])
    checks = (
        (types is not None, f"unknown registration authority code {code[0]!r}"),
        (types is not None and code[1] in types, f"organisation type {code[1]!r} is not registered by {code[0]!r}"),
        (code[2:8].isdigit(), "characters 3-8 must be the six digits of an administrative division"),
        (
            organisation_code_check_character(code[8:16]) == code[16],
            "the embedded organisation code's check character (GB 11714) is wrong",
        ),
        (uscc_check_character(code[:17]) == code[17], "the check character is wrong"),
    )
    return next((problem for ok, problem in checks if not ok), None)


def uscc_is_valid(code: str) -> bool:
    return uscc_problem(code) is None


def _validate(code: str) -> str:
    code = code.strip().upper()
    problem = uscc_problem(code)
    if problem is not None:
        raise ValueError(f"invalid unified social credit code (GB 32100-2015): {problem} / 统一社会信用代码无效")
    return code


USCC = Annotated[str, AfterValidator(_validate)]

"""Typed codes that travel on the wire: GB/T 2260 regions, GB/T 4754 industries, periods, GB 32100 USCC."""

from carbonid_contracts.codes.decimal import DecimalStr
from carbonid_contracts.codes.industry import IndustryCode
from carbonid_contracts.codes.period import Period, PeriodCode, PeriodKind
from carbonid_contracts.codes.region import RegionCode, region_level, region_within
from carbonid_contracts.codes.uscc import USCC, uscc_check_character, uscc_is_valid

__all__ = [
    "USCC",
    "DecimalStr",
    "IndustryCode",
    "Period",
    "PeriodCode",
    "PeriodKind",
    "RegionCode",
    "region_level",
    "region_within",
    "uscc_check_character",
    "uscc_is_valid",
]

"""Reporting periods: year ``2024``, half ``2024H1``, quarter ``2024Q3``, month ``2024-07``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

PERIOD_PATTERN = r"^([0-9]{4})(?:(H[12])|(Q[1-4])|-(0[1-9]|1[0-2]))?$"

PeriodCode = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


class PeriodKind(StrEnum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period with its first and last day (both inclusive)."""

    start: date
    end: date
    kind: PeriodKind
    code: str

    @classmethod
    def parse(cls, code: str) -> Period:
        match = re.fullmatch(PERIOD_PATTERN, code)
        if match is None:
            raise ValueError(f"invalid period {code!r}: use 2024, 2024H1, 2024Q3 or 2024-07 / 周期格式无效")
        year = int(match.group(1))
        if not 1900 <= year <= 2999:
            raise ValueError(f"period year out of range: {year} / 周期年份超出范围")
        half, quarter, month = match.group(2), match.group(3), match.group(4)
        if half:
            first_month, months, kind = (1 if half == "H1" else 7), 6, PeriodKind.HALF
        elif quarter:
            first_month, months, kind = 3 * (int(quarter[1]) - 1) + 1, 3, PeriodKind.QUARTER
        elif month:
            first_month, months, kind = int(month), 1, PeriodKind.MONTH
        else:
            first_month, months, kind = 1, 12, PeriodKind.YEAR
        last_month = first_month + months - 1
        end = date(year, last_month, calendar.monthrange(year, last_month)[1])
        return cls(start=date(year, first_month, 1), end=end, kind=kind, code=code)

    @property
    def year(self) -> int:
        return self.start.year

    def months(self) -> list[str]:
        """The month codes this period covers, in order."""
        return [f"{self.year}-{m:02d}" for m in range(self.start.month, self.end.month + 1)]

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one (period-on-period comparisons)."""
        y, m = self.year, self.start.month
        if self.kind is PeriodKind.YEAR:
            return Period.parse(str(y - 1))
        if self.kind is PeriodKind.HALF:
            return Period.parse(f"{y - 1}H2" if m == 1 else f"{y}H1")
        if self.kind is PeriodKind.QUARTER:
            q = (m - 1) // 3 + 1
            return Period.parse(f"{y - 1}Q4" if q == 1 else f"{y}Q{q - 1}")
        return Period.parse(f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}")

    def same_period_last_year(self) -> Period:
        """The same period one year earlier (year-on-year comparisons)."""
        return Period.parse(str(self.year - 1) + self.code[4:])

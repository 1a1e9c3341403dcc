"""Versioned evaluation rule sets (评价规则集): grade and level bands, colours, benchmark, neutralisation and
certificate parameters, rounding places and the questionnaire, parsed from a JSON document and validated.

A rule set is identified by ``key = "<id>/<version>"`` (e.g. ``zhejiang-2022/v1``); a published version never
changes, a new threshold year is a new version. ``digest`` is the sha256 of the canonical document, recorded
with every evaluation together with the key.

Bands: each band but the last has an inclusive upper bound; the last band is open (``null``). Bounds are
strictly increasing and have no more decimal places than the displayed figure (see ``RoundingRules``), which
is what lets the displayed, ceiling-rounded K and L always agree with the grade and level (see ``evaluation``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from carbonid_evaluation.domain.canonical import sha256_hex
from carbonid_evaluation.domain.errors import FieldProblem, RuleSetInvalidError
from carbonid_evaluation.domain.questionnaire import AnswerKind, AnswerOption, Label, Question, Questionnaire

RULE_SET_SCHEMA = "carbonid.rule-set/1"
NEUTRALISATION_COMPONENTS = ("ccer", "green_certificates", "own_renewable", "sinks")

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_VERSION = re.compile(r"^v[1-9][0-9]{0,5}$")
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_REGION = re.compile(r"^[1-9][0-9]{5}$")


class CarbonLevel(StrEnum):
    """Level by intensity L (低碳 / 中碳 / 高碳); values match ``carbonid_contracts.events.CarbonLevel``."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class GradeBand:
    grade: int
    k_max: Decimal | None
    """Inclusive upper bound of K; ``None`` for the last, open band."""
    colour: str
    label: Label
    short_label: Label
    """The label drawn in the centre of the code, e.g. ``3级`` / ``G3``."""


@dataclass(frozen=True, slots=True)
class LevelBand:
    level: CarbonLevel
    l_max: Decimal | None
    """Inclusive upper bound of L in t CO2 / 10^4 CNY; ``None`` for the last, open band."""
    label: Label


@dataclass(frozen=True, slots=True)
class BenchmarkRules:
    minimum_sample_size: int
    national_scope: str
    """Region scope code of a nationwide benchmark. GB/T 2260 has no national code; ``100000`` is the
    convention (as used by common GB/T 2260-based map data for the whole country) and lies outside every
    province (11–82)."""


@dataclass(frozen=True, slots=True)
class NeutralisationRules:
    cap: Decimal
    """Upper limit of the rate as a fraction (1 = 100 %)."""
    components: tuple[str, ...]
    """Which offsets count, a subset of ``NEUTRALISATION_COMPONENTS``."""


@dataclass(frozen=True, slots=True)
class RoundingRules:
    """Decimal places of displayed figures (rounding modes are fixed, see ``evaluation``)."""

    intensity_places: int
    k_places: int
    rate_places: int
    emissions_places: int


@dataclass(frozen=True, slots=True)
class RuleSet:
    id: str
    version: str
    title: Label
    source: str
    effective_from: date
    grade_bands: tuple[GradeBand, ...]
    level_bands: tuple[LevelBand, ...]
    benchmark: BenchmarkRules
    neutralisation: NeutralisationRules
    certificate_validity_months: int
    rounding: RoundingRules
    questionnaire: Questionnaire
    digest: str
    """sha256 (hex) of the canonical JSON of the source document."""

    @property
    def key(self) -> str:
        """``<id>/<version>``, the identity recorded with every evaluation."""
        return f"{self.id}/{self.version}"

    def grade_band(self, k: Decimal) -> GradeBand:
        """The band of an (unrounded) K: the first whose inclusive upper bound is ≥ K."""
        for band in self.grade_bands:
            if band.k_max is None or k <= band.k_max:
                return band
        raise AssertionError("the last grade band is open")  # pragma: no cover - guaranteed by validation

    def level_band(self, intensity: Decimal) -> LevelBand:
        """The band of an (unrounded) intensity L: the first whose inclusive upper bound is ≥ L."""
        for band in self.level_bands:
            if band.l_max is None or intensity <= band.l_max:
                return band
        raise AssertionError("the last level band is open")  # pragma: no cover - guaranteed by validation

    def band_for_grade(self, grade: int) -> GradeBand:
        for band in self.grade_bands:
            if band.grade == grade:
                return band
        raise KeyError(grade)


class _Reader:
    """Collects every problem of a document instead of stopping at the first one."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def fail(self, path: str, zh: str, en: str) -> None:
        self.problems.append(FieldProblem(path, zh, en))

    def obj(self, doc: Any, path: str) -> Mapping[str, Any]:
        if isinstance(doc, Mapping):
            return doc
        self.fail(path, "应为对象", "must be an object")
        return {}

    def seq(self, doc: Mapping[str, Any], key: str, path: str) -> Sequence[Any]:
        value = doc.get(key)
        if isinstance(value, list | tuple):
            return value
        self.fail(f"{path}/{key}", "应为数组", "must be an array")
        return []

    def text(self, doc: Mapping[str, Any], key: str, path: str, pattern: re.Pattern[str] | None = None) -> str:
        value = doc.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}/{key}", "应为非空字符串", "must be a non-empty string")
            return ""
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(f"{path}/{key}", f"格式无效（{pattern.pattern}）", f"does not match {pattern.pattern}")
        return value

    def integer(self, doc: Mapping[str, Any], key: str, path: str, low: int, high: int) -> int:
        value = doc.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{path}/{key}", "应为整数", "must be an integer")
            return low
        if not low <= value <= high:
            self.fail(f"{path}/{key}", f"应在 {low}–{high} 之间", f"must be between {low} and {high}")
        return value

    def boolean(self, doc: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = doc.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{path}/{key}", "应为布尔值", "must be true or false")
            return default
        return value

    def decimal(self, doc: Mapping[str, Any], key: str, path: str, *, nullable: bool = False) -> Decimal | None:
        value = doc.get(key)
        if value is None and nullable:
            return None
        if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
            self.fail(f"{path}/{key}", "应为十进制数字符串", "must be a decimal number written as a string")
            return Decimal(0)
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.fail(f"{path}/{key}", "不是有效的数字", "is not a decimal number")
            return Decimal(0)
        if not number.is_finite():
            self.fail(f"{path}/{key}", "不是有限数", "must be finite")
            return Decimal(0)
        return number

    def label(self, doc: Mapping[str, Any], key: str, path: str) -> Label:
        inner = self.obj(doc.get(key), f"{path}/{key}")
        return Label(zh=self.text(inner, "zh", f"{path}/{key}"), en=self.text(inner, "en", f"{path}/{key}"))


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check_bounds(r: _Reader, bounds: list[tuple[str, Decimal | None]], places: int, what: str) -> None:
    """Every bound but the last is a non-negative decimal, strictly increasing; the last is open."""
    previous: Decimal | None = None
    for index, (path, bound) in enumerate(bounds):
        last = index == len(bounds) - 1
        if last:
            if bound is not None:
                r.fail(path, "最后一档的上限应为 null（开区间）", f"the last {what} band must be open (null)")
            continue
        if bound is None:
            r.fail(path, "只有最后一档可以没有上限", f"only the last {what} band may be open")
            continue
        if bound < 0:
            r.fail(path, "上限不能为负", "an upper bound cannot be negative")
        if previous is not None and bound <= previous:
            r.fail(path, "各档上限必须严格递增", f"{what} bounds must be strictly increasing")
        if _places(bound) > places:
            r.fail(
                path,
                f"上限的小数位数不能超过显示位数 {places}",
                f"a bound may not have more decimal places than the displayed figure ({places})",
            )
        previous = bound


def _parse_questionnaire(r: _Reader, doc: Mapping[str, Any], path: str) -> Questionnaire:
    version = r.text(doc, "version", path)
    questions: list[Question] = []
    seen: set[str] = set()
    raw_questions = r.seq(doc, "questions", path)
    if not raw_questions:
        r.fail(f"{path}/questions", "问卷至少需要一个问题", "the questionnaire needs at least one question")
    for i, raw in enumerate(raw_questions):
        qpath = f"{path}/questions/{i}"
        q = r.obj(raw, qpath)
        qid = r.text(q, "id", qpath, _QUESTION_ID)
        if qid in seen:
            r.fail(f"{qpath}/id", "问题编号重复", "duplicate question id")
        seen.add(qid)
        kind_text = r.text(q, "kind", qpath)
        try:
            kind = AnswerKind(kind_text)
        except ValueError:
            r.fail(f"{qpath}/kind", "题型应为 yes_no 或 choice", "kind must be yes_no or choice")
            kind = AnswerKind.CHOICE
        options: list[AnswerOption] = []
        for j, raw_option in enumerate(r.seq(q, "options", qpath)):
            opath = f"{qpath}/options/{j}"
            o = r.obj(raw_option, opath)
            score = r.decimal(o, "score", opath) or Decimal(0)
            if score < 0:
                r.fail(f"{opath}/score", "分值不能为负", "a score cannot be negative")
            options.append(
                AnswerOption(
                    value=r.text(o, "value", opath),
                    label=r.label(o, "label", opath),
                    score=score,
                    evidence_required=r.boolean(o, "evidence_required", opath, False),
                )
            )
        values = [o.value for o in options]
        if len(set(values)) != len(values):
            r.fail(f"{qpath}/options", "选项值重复", "duplicate option values")
        if kind is AnswerKind.YES_NO and sorted(values) != ["no", "yes"]:
            r.fail(
                f"{qpath}/options", "是非题的选项应为 yes 和 no", "a yes_no question has exactly the options yes and no"
            )
        if kind is AnswerKind.CHOICE and len(options) < 2:
            r.fail(f"{qpath}/options", "选择题至少需要两个选项", "a choice question needs at least two options")
        reference = q.get("reference")
        hint = q.get("evidence_hint")
        questions.append(
            Question(
                id=qid,
                text=r.label(q, "text", qpath),
                kind=kind,
                options=tuple(options),
                required=r.boolean(q, "required", qpath, True),
                reference=reference if isinstance(reference, str) else None,
                evidence_hint=r.label(q, "evidence_hint", qpath) if hint is not None else None,
            )
        )
    return Questionnaire(version=version, questions=tuple(questions))


def parse_rule_set(document: Mapping[str, Any]) -> RuleSet:
    """Validate a rule-set document and build a ``RuleSet``.

    Raises ``RuleSetInvalidError`` listing every problem (path, zh, en) — bands not strictly increasing, an invalid
    colour, a bound with too many decimal places, a malformed questionnaire, floats instead of decimal strings…
    """
    r = _Reader()
    doc = r.obj(document, "")
    if doc.get("schema") != RULE_SET_SCHEMA:
        r.fail("/schema", f"应为 {RULE_SET_SCHEMA}", f"must be {RULE_SET_SCHEMA}")
    rule_set_id = r.text(doc, "id", "", _ID)
    version = r.text(doc, "version", "", _VERSION)
    title = r.label(doc, "title", "")
    source = r.text(doc, "source", "")
    effective_text = r.text(doc, "effective_from", "")
    effective_from = date.min
    try:
        effective_from = date.fromisoformat(effective_text) if effective_text else date.min
    except ValueError:
        r.fail("/effective_from", "日期格式应为 YYYY-MM-DD", "must be a date YYYY-MM-DD")

    rounding_doc = r.obj(doc.get("rounding"), "/rounding")
    rounding = RoundingRules(
        intensity_places=r.integer(rounding_doc, "intensity_places", "/rounding", 0, 12),
        k_places=r.integer(rounding_doc, "k_places", "/rounding", 0, 12),
        rate_places=r.integer(rounding_doc, "rate_places", "/rounding", 0, 12),
        emissions_places=r.integer(rounding_doc, "emissions_places", "/rounding", 0, 12),
    )

    grade_bands: list[GradeBand] = []
    grade_bounds: list[tuple[str, Decimal | None]] = []
    raw_grades = r.seq(doc, "grade_bands", "")
    if len(raw_grades) < 2:
        r.fail("/grade_bands", "至少需要两个等级", "at least two grade bands are needed")
    for i, raw in enumerate(raw_grades):
        path = f"/grade_bands/{i}"
        band = r.obj(raw, path)
        grade = r.integer(band, "grade", path, 1, 9)
        if grade != i + 1:
            r.fail(
                f"{path}/grade", f"等级应依次编号，此处应为 {i + 1}", f"grades are numbered in order; expected {i + 1}"
            )
        k_max = r.decimal(band, "k_max", path, nullable=True)
        grade_bounds.append((f"{path}/k_max", k_max))
        grade_bands.append(
            GradeBand(
                grade=grade,
                k_max=k_max,
                colour=r.text(band, "colour", path, _COLOUR).upper(),
                label=r.label(band, "label", path),
                short_label=r.label(band, "short_label", path),
            )
        )
    _check_bounds(r, grade_bounds, rounding.k_places, "grade")
    colours = [b.colour for b in grade_bands]
    if len(set(colours)) != len(colours):
        r.fail("/grade_bands", "各等级颜色必须互不相同", "each grade needs its own colour")

    level_bands: list[LevelBand] = []
    level_bounds: list[tuple[str, Decimal | None]] = []
    raw_levels = r.seq(doc, "level_bands", "")
    expected_levels = list(CarbonLevel)
    if len(raw_levels) != len(expected_levels):
        r.fail("/level_bands", "应有低碳、中碳、高碳三档", "there must be three level bands: low, medium, high")
    for i, raw in enumerate(raw_levels):
        path = f"/level_bands/{i}"
        band = r.obj(raw, path)
        level_text = r.text(band, "level", path)
        level = CarbonLevel.LOW
        if i < len(expected_levels) and level_text != expected_levels[i].value:
            r.fail(f"{path}/level", f"此处应为 {expected_levels[i].value}", f"expected {expected_levels[i].value}")
        if level_text in {member.value for member in CarbonLevel}:
            level = CarbonLevel(level_text)
        l_max = r.decimal(band, "l_max", path, nullable=True)
        level_bounds.append((f"{path}/l_max", l_max))
        level_bands.append(LevelBand(level=level, l_max=l_max, label=r.label(band, "label", path)))
    _check_bounds(r, level_bounds, rounding.intensity_places, "level")

    bench_doc = r.obj(doc.get("benchmark"), "/benchmark")
    benchmark = BenchmarkRules(
        minimum_sample_size=r.integer(bench_doc, "minimum_sample_size", "/benchmark", 1, 100_000),
        national_scope=r.text(bench_doc, "national_scope", "/benchmark", _REGION),
    )

    neutral_doc = r.obj(doc.get("neutralisation"), "/neutralisation")
    cap = r.decimal(neutral_doc, "cap", "/neutralisation") or Decimal(0)
    if not Decimal(0) < cap <= 1:
        r.fail("/neutralisation/cap", "上限应在 (0, 1] 之间（1 = 100%）", "the cap is a fraction in (0, 1] (1 = 100 %)")
    components: list[str] = []
    for j, component in enumerate(r.seq(neutral_doc, "components", "/neutralisation")):
        if component not in NEUTRALISATION_COMPONENTS or component in components:
            r.fail(
                f"/neutralisation/components/{j}",
                f"应为 {'、'.join(NEUTRALISATION_COMPONENTS)} 之一且不重复",
                f"must be one of {', '.join(NEUTRALISATION_COMPONENTS)}, each at most once",
            )
        else:
            components.append(component)

    cert_doc = r.obj(doc.get("certificate"), "/certificate")
    validity = r.integer(cert_doc, "validity_months", "/certificate", 1, 120)

    questionnaire = _parse_questionnaire(r, r.obj(doc.get("questionnaire"), "/questionnaire"), "/questionnaire")

    if r.problems:
        raise RuleSetInvalidError("规则集无效", "the rule set is invalid", r.problems)
    return RuleSet(
        id=rule_set_id,
        version=version,
        title=title,
        source=source,
        effective_from=effective_from,
        grade_bands=tuple(grade_bands),
        level_bands=tuple(level_bands),
        benchmark=benchmark,
        neutralisation=NeutralisationRules(cap=cap, components=tuple(components)),
        certificate_validity_months=validity,
        rounding=rounding,
        questionnaire=questionnaire,
        digest=sha256_hex(doc),
    )


def rule_set_from_json(text: str | bytes) -> RuleSet:
    """Parse a JSON rule-set document (JSON numbers are read as decimals, never floats)."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RuleSetInvalidError("规则集不是有效的 JSON", f"the rule set is not valid JSON: {exc}") from exc
    if not isinstance(document, Mapping):
        raise RuleSetInvalidError("规则集应为 JSON 对象", "the rule set must be a JSON object")
    return parse_rule_set(document)

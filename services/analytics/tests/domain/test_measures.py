from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from carbonid_analytics.domain.measures import neutralisation_rate, rank, ratio, relative_change, shares


def test_ratio_rounds_half_even_and_refuses_zero_denominator() -> None:
    assert ratio(Decimal(1), Decimal(8), 2) == Decimal("0.12")
    assert ratio(Decimal(3), Decimal(8), 2) == Decimal("0.38")
    assert ratio(Decimal(1), Decimal(0), 6) is None
    assert ratio(None, Decimal(1), 6) is None


def test_relative_change() -> None:
    assert relative_change(Decimal(110), Decimal(100), 6) == Decimal("0.100000")
    assert relative_change(Decimal(90), Decimal(100), 6) == Decimal("-0.100000")
    assert relative_change(Decimal(90), Decimal(0), 6) is None


def test_neutralisation_rate_is_share_of_gross_neutralised() -> None:
    assert neutralisation_rate(Decimal(200), Decimal(150), 4) == Decimal("0.2500")
    assert neutralisation_rate(Decimal(0), Decimal(0), 4) is None


def test_competition_and_dense_ranks_with_ties_kept_at_the_cut() -> None:
    values = [("a", Decimal(5)), ("b", Decimal(7)), ("c", Decimal(7)), ("d", Decimal(3)), ("e", Decimal(3))]
    ranked = rank(values, order="desc", limit=3)
    assert [(r.key, r.rank, r.dense_rank) for r in ranked] == [("b", 1, 1), ("c", 1, 1), ("a", 3, 2)]
    ranked = rank(values, order="desc", limit=4)
    assert [(r.key, r.rank, r.dense_rank) for r in ranked] == [
        ("b", 1, 1),
        ("c", 1, 1),
        ("a", 3, 2),
        ("d", 4, 3),
        ("e", 4, 3),
    ]
    assert [r.key for r in rank(values, order="asc")] == ["d", "e", "a", "b", "c"]


@given(st.lists(st.tuples(st.text(min_size=1, max_size=3), st.integers(-5, 5)), unique_by=lambda kv: kv[0]))
def test_rank_properties(pairs: list[tuple[str, int]]) -> None:
    values = [(k, Decimal(v)) for k, v in pairs]
    ranked = rank(values)
    assert len(ranked) == len(values)
    for item in ranked:
        assert item.rank == 1 + sum(1 for _, v in values if v > item.value)
        assert item.dense_rank == 1 + len({v for _, v in values if v > item.value})


def test_shares() -> None:
    assert shares([("coal", Decimal(3)), ("gas", Decimal(1))], 4) == {
        "coal": Decimal("0.7500"),
        "gas": Decimal("0.2500"),
    }

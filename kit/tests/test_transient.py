"""Which failures delay an event (retried without limit) and which reject it (dead-lettered)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from carbonid_kit.messaging.consumer import is_transient


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [
        ("57P03", True),  # the database system is not yet accepting connections (a restart)
        ("57P01", True),  # admin shutdown
        ("40P01", True),  # deadlock detected
        ("40001", True),  # serialization failure
        ("08006", True),  # connection failure
        ("53300", True),  # too many connections
        ("23505", False),  # unique violation: the event itself is at fault
        ("22003", False),  # numeric value out of range
    ],
)
def test_sqlstate_classes(sqlstate: str, transient: bool) -> None:
    assert is_transient(DBAPIError("stmt", {}, DriverError(sqlstate))) is transient


def test_other_failures() -> None:
    assert is_transient(OperationalError("stmt", {}, Exception("gone")))
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert not is_transient(IntegrityError("stmt", {}, DriverError("23503")))
    assert not is_transient(ValueError("bad payload"))
    invalidated = DBAPIError("stmt", {}, Exception("closed"), connection_invalidated=True)
    assert is_transient(invalidated)

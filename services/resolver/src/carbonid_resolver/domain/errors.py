"""What can go wrong in a resolution, kept apart so that an unavailable node is never taken for "not found".

Each failure carries the Handle ``responseCode`` the node gave (or that the situation corresponds to), so
that the API can report it as the ``handle_response_code`` extension member of the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Handle protocol response codes the resolver reasons about (RFC 3652, Handle.Net 9, IDIS additions).
RC_SUCCESS = 1
RC_ERROR = 2
RC_SERVER_TOO_BUSY = 3
RC_PROTOCOL_ERROR = 4
RC_SERVER_BACKUP = 7
RC_HANDLE_NOT_FOUND = 100
RC_INVALID_HANDLE = 102
RC_VALUES_NOT_FOUND = 200
RC_SERVER_NOT_RESP = 301
RC_CLIENT_TIME_OUT = 602

TRANSIENT_RESPONSE_CODES = frozenset({RC_SERVER_TOO_BUSY, RC_SERVER_BACKUP, 601, RC_CLIENT_TIME_OUT})


class ResolutionError(Exception):
    """Base of every resolution failure."""

    handle_response_code: int | None = None

    def __init__(self, message: str, *, handle: str | None = None, node: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.handle = handle
        self.node = node


class HandleNotFound(ResolutionError):  # noqa: N818 - the taxonomy's own names
    """The node answered authoritatively: no such handle (responseCode 100), or the prefix is not homed (301)."""

    def __init__(self, message: str, *, handle: str | None = None, node: str | None = None, code: int = 100) -> None:
        super().__init__(message, handle=handle, node=node)
        self.handle_response_code = code


class ValuesNotFound(ResolutionError):  # noqa: N818 - the taxonomy's own names
    """The handle exists but holds no (public) values (responseCode 200)."""

    handle_response_code = RC_VALUES_NOT_FOUND


class NodeFailure(ResolutionError):  # noqa: N818 - the taxonomy's own names
    """The node could not answer properly; these count against its circuit breaker."""

    transient: bool = True


class NodeUnavailable(NodeFailure):
    """Connection refused, HTTP 502/503/504, responseCode 3/7, or the circuit breaker is open."""

    def __init__(
        self,
        message: str,
        *,
        handle: str | None = None,
        node: str | None = None,
        code: int | None = None,
        retry_after_s: float | None = None,
        breaker_state: str = "closed",
    ) -> None:
        super().__init__(message, handle=handle, node=node)
        self.handle_response_code = code
        self.retry_after_s = retry_after_s
        self.breaker_state = breaker_state


class NodeTimeout(NodeFailure):
    """The node did not answer within the read timeout, or the resolution's deadline was spent."""

    handle_response_code = RC_CLIENT_TIME_OUT


class NodeBadResponse(NodeFailure):
    """The node answered something that is not a Handle/SNMS response (truncated or malformed body)."""

    transient = False
    handle_response_code = RC_PROTOCOL_ERROR


class NodeRefused(ResolutionError):  # noqa: N818 - the taxonomy's own names
    """The node refused the request for a reason retrying cannot fix (invalid handle, authentication, quota)."""

    def __init__(self, message: str, *, handle: str | None = None, node: str | None = None, code: int | None) -> None:
        super().__init__(message, handle=handle, node=node)
        self.handle_response_code = code


class NotATemplate(ResolutionError):  # noqa: N818 - the taxonomy's own names
    """The handle resolved, but holds no (readable) template definition: the node answered well, so this never
    counts against its breaker (anyone could otherwise open it with well-formed non-template handles)."""


@dataclass(frozen=True)
class ItemError:
    """One invalid value of a record: where it is and what is wrong, in both languages."""

    pointer: str
    code: str
    zh: str
    en: str


@dataclass
class InvalidTemplateData(Exception):  # noqa: N818 - named after the problem type it becomes
    """Values that break their metadata template (required item missing, wrong type, unknown unit ...)."""

    handle: str
    errors: list[ItemError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{self.handle}: {len(self.errors)} invalid item(s)")


@dataclass
class MissingMonths(Exception):  # noqa: N818 - named after the problem type it becomes
    """A multi-month period lacks some monthly energy records."""

    months: list[str]
    handles: list[str]

    def __post_init__(self) -> None:
        super().__init__("missing monthly records: " + ", ".join(self.months))


@dataclass
class UnmappedItems(Exception):  # noqa: N818 - named after the problem type it becomes
    """Template items with values that no mapping turns into a platform emission source."""

    industry: str
    items: list[str]

    def __post_init__(self) -> None:
        super().__init__(f"no emission-source mapping for industry {self.industry}: " + ", ".join(self.items))

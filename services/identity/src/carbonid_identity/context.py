"""What identity's handlers and commands share: settings, database sessions, hashing, keys and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_identity.config import IdentitySettings
from carbonid_identity.domain.throttle import ThrottlePolicy
from carbonid_identity.keys import SigningKeys
from carbonid_identity.passwords import Passwords

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Identity:
    settings: IdentitySettings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = system_clock
    passwords: Passwords = field(init=False)
    keys: SigningKeys = field(init=False)

    def __post_init__(self) -> None:
        self.passwords = Passwords(self.settings)
        self.keys = SigningKeys(self.settings, self.clock)

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.access_token_ttl_seconds)

    @property
    def account_policy(self) -> ThrottlePolicy:
        s = self.settings
        return ThrottlePolicy(
            s.login_account_max_failures,
            timedelta(seconds=s.login_account_window_seconds),
            timedelta(seconds=s.login_account_lockout_seconds),
        )

    @property
    def registration_policy(self) -> ThrottlePolicy:
        s = self.settings
        return ThrottlePolicy(
            s.register_address_max,
            timedelta(seconds=s.register_address_window_seconds),
            timedelta(seconds=s.register_address_lockout_seconds),
        )

    @property
    def address_policy(self) -> ThrottlePolicy:
        s = self.settings
        return ThrottlePolicy(
            s.login_address_max_failures,
            timedelta(seconds=s.login_address_window_seconds),
            timedelta(seconds=s.login_address_lockout_seconds),
        )

"""Typed settings read from environment variables. Reading them does no I/O beyond os.environ."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

DEFAULT_SQLITE_PATH = Path("var") / "dtz-events.sqlite3"
EMBEDDED_SECRET = "embedded-development-secret-change-me"  # noqa: S105 - replaced in production


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    broker_url: str = ""
    smtp_url: str = ""
    mail_from: str = "Dutch TechZone <events@dutchtechzone.nl>"
    rsvp_address: str = "rsvp@dutchtechzone.nl"
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = EMBEDDED_SECRET
    timezone: str = "Europe/Amsterdam"
    db_pool_size: int = 10

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            database_url=env.get("DTZ_DATABASE_URL") or defaults.database_url,
            broker_url=env.get("DTZ_BROKER_URL", ""),
            smtp_url=env.get("DTZ_SMTP_URL", ""),
            mail_from=env.get("DTZ_MAIL_FROM") or defaults.mail_from,
            rsvp_address=env.get("DTZ_RSVP_ADDRESS") or defaults.rsvp_address,
            base_url=(env.get("DTZ_BASE_URL") or defaults.base_url).rstrip("/"),
            secret_key=env.get("DTZ_SECRET_KEY") or defaults.secret_key,
            timezone=env.get("DTZ_TIMEZONE") or defaults.timezone,
            db_pool_size=int(env.get("DTZ_DB_POOL_SIZE") or defaults.db_pool_size),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def embedded_broker(self) -> bool:
        return not self.broker_url

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        """Host name used in calendar UIDs."""
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

"""What the board needs from the composition root: the settings that shape sign-in and pages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MIB = 1024 * 1024


class BoardConfig(BaseModel):
    """Passed in by `workers.web`; the board never reads the environment itself."""

    model_config = ConfigDict(frozen=True)

    database_url: str
    language: Literal["vi", "en"] = "vi"
    secure_cookies: bool = True
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    token_days: int = Field(default=90, ge=1, le=3650)
    login_window_seconds: int = Field(default=24 * 3600, ge=10)
    """How long a failed sign-in counts against its (user name, address) pair."""
    login_max_failures: int = Field(default=5, ge=1)
    """Failures of one pair within the window before each further attempt must wait."""
    login_delay_seconds: int = Field(default=30, ge=1)
    """The first wait after `login_max_failures`; it doubles with every further failure."""
    login_max_delay_seconds: int = Field(default=15 * 60, ge=1)
    """The longest wait between two attempts of one pair."""
    body_max_bytes: int = Field(default=MIB, ge=1024)
    """The largest request body, checked before anything reads it (and before sign-in)."""
    upload_body_max_bytes: int = Field(default=2 * 64 * MIB + MIB, ge=1024)
    """The largest body of the board's upload form (`POST /import`: two files of 64 MiB each,
    and the multipart framing)."""

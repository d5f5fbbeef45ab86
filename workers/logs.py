"""How a process writes its log: plain lines for a terminal, or JSON lines for a log collector."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from workers.settings import Settings


def configure_logging(settings: Settings, process: str) -> None:
    """Log INFO and above to standard error, each line naming `process` (as JSON by setting)."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"process": process},
                json_ensure_ascii=False,  # Vietnamese names stay readable
            )
        )
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {process} %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    # The embedded PostgreSQL narrates every start and stop at INFO: its warnings are enough.
    logging.getLogger("pgserver").setLevel(logging.WARNING)

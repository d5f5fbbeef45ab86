"""Every `liaison` command on an empty store answers a clear message, never a traceback."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import typer
from typer._click.core import Context
from typer.testing import CliRunner

from application.office import LiaisonOffice
from tests.integration import province as pv
from tests.integration.test_projections_cli import inspector_signed_in
from workers import cli_support
from workers.cli import app

SKIPPED = {
    "up": "starts servers and waits for Ctrl-C",
    "bench": "runs the benchmarks for minutes",
    "demo": "generates a province",
    "sample": "records the sample province",
    "onboard": "needs a Temporal server",
    "status": "asks the running processes, not the store (tests/integration/test_stack_heals.py)",
    "login": "signs in (the fixture did)",
    "logout": "ends the session the others use",
}
"""Commands not run here, and why (each is covered by its own test)."""
PLACEHOLDERS: dict[str, str] = {
    "unit": "P",
    "unit_id": "P",
    "figure": "in_scope",
    "metric": "in_scope",
    "card": "75010774",
    "member": "75010774",
    "party_card_number": "75010774",
    "username": "nobody",
    "name": "Nguyễn Văn An",
}


def _children(command: Any) -> list[Any]:
    if not hasattr(command, "list_commands"):
        return []
    context = Context(command)
    return [command.get_command(context, name) for name in command.list_commands(context)]


def _commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command of `liaison`, with its path of names."""
    for command in _children(typer.main.get_command(app)):
        subcommands = _children(command)
        if not subcommands:
            yield (command.name,), command
        for sub in subcommands:
            yield (command.name, sub.name), sub


def _value(param: Any, tmp: Path) -> str:
    """A plausible value for a required parameter: a unit, a card, a date, a file…"""
    kind = param.type_descriptor.annotation
    if typing.get_origin(kind) is typing.Literal:
        return str(typing.get_args(kind)[0])
    if isinstance(kind, type) and issubclass(kind, Enum):
        return str(next(iter(kind)).value)
    if kind in (date, datetime):
        return "2026-11-20"
    if kind is int:
        return "2026"
    if kind is UUID:
        return str(uuid4())
    if kind is Path:
        return str(tmp / f"{param.name}.csv")
    return PLACEHOLDERS.get(param.name, "P")


def _arguments(command: Any, tmp: Path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if param.required:
            opts = [] if param.param_type_name == "argument" else [param.opts[0]]
            args += [*opts, _value(param, tmp)]
    return args


@pytest.fixture
def cli(pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """The CLI on an empty store (no unit, no event, no projector run, no seal), signed in."""
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LIAISON_LANG", "vi")
    monkeypatch.delenv("LIAISON_TOKEN", raising=False)
    cli_support.settings.cache_clear()

    yield inspector_signed_in(pg_url)
    cli_support.settings.cache_clear()


def test_every_command_on_an_empty_store_answers_without_a_traceback(
    cli: CliRunner, tmp_path: Path
) -> None:
    commands = [(path, c) for path, c in _commands() if path[0] not in SKIPPED]
    assert len(commands) > 30
    crashed: list[str] = []
    for path, command in commands:
        args = [*path, *_arguments(command, tmp_path)]
        result = cli.invoke(app, args)
        failure = result.exception
        if (failure is not None and not isinstance(failure, SystemExit)) or (
            "Traceback" in result.output
        ):
            crashed.append(f"liaison {' '.join(args)}: {failure!r}\n{result.output[-600:]}")
        elif result.exit_code != 0:
            assert "✗" in result.output or "Error" in result.output, (args, result.output)
    assert crashed == [], "\n\n".join(crashed)


def _refused_clearly(result: Any) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return str(result.output)


def test_the_issues_tracebacks_are_clear_messages(
    cli: CliRunner, pg_env: dict[str, str], tmp_path: Path
) -> None:
    """The province recorded, no projector run yet, then the seal begun after a given time."""
    pv.build_province(LiaisonOffice(env=pg_env, clock=pv.clock))
    listing = _refused_clearly(cli.invoke(app, ["projections"]))
    assert "chưa được dựng" in listing, listing
    out = str(tmp_path / "e.json")
    early = "2000-01-01T07:00:00"
    evidence = ["export-evidence", "--unit", "P", out, "--known-at", early]
    before = _refused_clearly(cli.invoke(app, evidence))
    assert "chưa được dựng" in before, before
    assert cli.invoke(app, ["rebuild"]).exit_code == 0
    unsealed = _refused_clearly(cli.invoke(app, evidence))
    assert "chưa có hồ sơ nào được niêm phong" in unsealed, unsealed
    figure = _refused_clearly(
        cli.invoke(app, ["export", "list", "P", "in_scope", str(tmp_path / "l.csv")])
    )
    assert figure.startswith("✓") or "✓" in figure, figure
    unknown = _refused_clearly(
        cli.invoke(app, ["export", "list", "P", "nonsense", str(tmp_path / "l.csv")])
    )
    assert "in_scope" in unknown, unknown

"""The compose file and the Dockerfile, read as docker would: each Liaison service runs an
existing entry point or command with real settings, Temporal comes from its official server image
with its schema set up by temporal-sql-tool, and the image runs as an unprivileged user without
the embedded servers."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import DEPLOY, ROOT, command_problem, settings_names

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
LIAISON = {name: s for name, s in SERVICES.items() if str(s.get("image", "")).startswith("liaison")}


def _env_file_names(path: Path) -> set[str]:
    """The variables of an env file, those commented out as examples included."""
    found = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(encoding="utf-8"), re.M)
    return set(found)


def test_each_process_is_its_own_service() -> None:
    commands = {name: s["command"] for name, s in LIAISON.items()}
    assert commands["web"] == ["python", "-m", "workers.web"]
    assert commands["worker"] == ["python", "-m", "workers.worker"]
    assert commands["dispatcher"] == ["python", "-m", "workers.dispatcher"]
    assert commands["projector"] == ["python", "-m", "workers.projector"]
    for name in ("web", "worker", "dispatcher", "projector"):
        assert LIAISON[name]["deploy"]["replicas"] >= 2


@pytest.mark.parametrize("name", sorted(LIAISON))
def test_each_liaison_service_runs_an_existing_entry_point(name: str) -> None:
    assert command_problem(LIAISON[name]["command"]) is None


def test_the_check_refuses_a_module_or_command_that_does_not_exist() -> None:
    assert command_problem(["python", "-m", "workers.nothing"]) == "no module workers.nothing"
    assert command_problem(["liaison", "sael", "publish"]) == "no command liaison sael publish"
    assert command_problem(["sh", "-c", "exec liaison nope"]) == "no command liaison nope"
    assert command_problem(["uvicorn", "api.app:app"]) is not None


def test_every_environment_variable_is_a_setting() -> None:
    known = settings_names()
    for name, service in LIAISON.items():
        assert set(service.get("environment", {})) <= known, name
        assert service["env_file"] == ["liaison.env"]
    example = _env_file_names(DEPLOY / "liaison.env.example")
    assert example, "the example lists the settings"
    assert example <= known, example - known


def test_the_check_of_settings_can_fail() -> None:
    assert "LIAISON_WEB_PORT" in settings_names()
    assert "LIAISON_WEB_PROT" not in settings_names()


def test_temporal_is_its_official_server_image_with_its_schema_tool() -> None:
    temporal = SERVICES["temporal"]
    assert temporal["image"].startswith("temporalio/server:")
    assert not any("auto-setup" in str(s.get("image")) for s in SERVICES.values())
    assert temporal["environment"]["DB"] == "postgres12"
    schema = SERVICES["temporal-schema"]
    assert schema["image"].startswith("temporalio/admin-tools:")
    script = "\n".join(schema["command"])
    assert "setup-schema" in script
    assert "update-schema" in script
    assert temporal["depends_on"]["temporal-schema"]["condition"] == (
        "service_completed_successfully"
    )
    assert SERVICES["temporal-ui"]["profiles"] == ["ui"]


def test_every_dependency_and_mounted_file_exists() -> None:
    for name, service in SERVICES.items():
        for needed in service.get("depends_on", {}):
            assert needed in SERVICES, (name, needed)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./compose/"):
                assert (DEPLOY / source).is_file(), (name, source)
    assert (DEPLOY / "compose.env.example").is_file()


DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
STAGES = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]


def test_the_image_is_built_in_stages_and_runs_unprivileged() -> None:
    assert len(STAGES) >= 2
    final = STAGES[-1]
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert "pip" not in final


def test_the_image_installs_liaison_without_the_embedded_extra() -> None:
    installs = [i.strip() for i in re.findall(r"pip install ([^\n\\&]+)", DOCKERFILE)]
    assert installs == ["."], installs
    for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.M):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source

"""Reading the deployment files as their tools would: the kustomization rendered, the compose file
with its anchors merged, and the names they use checked against Liaison's own settings, entry
points and CLI commands."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import typer.main
import yaml

from workers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"

KUSTOMIZE_KEYS = {"apiVersion", "kind", "namespace", "labels", "resources", "images"}
"""What `render` understands of a kustomization; a kustomization using more needs kubectl."""

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}

Object = dict[str, Any]


def load_all(path: Path) -> list[Object]:
    """Every document of a YAML file, empty ones dropped."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def render(folder: Path) -> list[Object]:
    """The kustomization in `folder` rendered as kustomize does for the keys in KUSTOMIZE_KEYS:
    the resources in order, the namespace set, the labels added to each object's metadata and the
    images renamed."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(kustomization) - KUSTOMIZE_KEYS
    if unknown:
        msg = f"render() does not understand {sorted(unknown)}"
        raise ValueError(msg)
    labels: dict[str, str] = {}
    for entry in kustomization.get("labels", []):
        labels |= entry["pairs"]
    images = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization.get("images", [])}
    objects = []
    for resource in kustomization["resources"]:
        for obj in load_all(folder / resource):
            metadata = obj.setdefault("metadata", {})
            if "namespace" in kustomization and obj["kind"] not in CLUSTER_SCOPED:
                metadata["namespace"] = kustomization["namespace"]
            metadata["labels"] = {**metadata.get("labels", {}), **labels}
            for container in containers(obj):
                container["image"] = images.get(container["image"], container["image"])
            objects.append(obj)
    return objects


def kubectl_render(folder: Path) -> list[Object] | None:
    """`kubectl kustomize folder`, where kubectl is installed; None elsewhere."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    done = subprocess.run(
        [kubectl, "kustomize", str(folder)], check=True, capture_output=True, text=True
    )
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def pod_spec(obj: Object) -> Object | None:
    """The pod spec of a Deployment, Job or CronJob."""
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template")
    return template["spec"] if template else None


def containers(obj: Object) -> list[Object]:
    """The containers (init containers too) of an object with a pod spec."""
    spec = pod_spec(obj)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec["containers"]]


def settings_names() -> set[str]:
    """Every environment variable Liaison's settings read."""
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        for choice in getattr(alias, "choices", ()):
            if isinstance(choice, str) and choice.isupper():
                names.add(choice)
    return names


def cli_commands() -> set[tuple[str, ...]]:
    """Every `liaison` command, as the words typed after `liaison`."""
    import workers.cli  # noqa: F401 - registers the commands
    from workers.cli_support import app

    found: set[tuple[str, ...]] = set()

    def walk(group: Any, prefix: tuple[str, ...]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            found.add((*prefix, name))
            walk(command, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return found


def command_problem(argv: list[str]) -> str | None:
    """Why a container's command does not start a Liaison process or command; None if it does.

    Understands `python -m MODULE`, `liaison WORDS…` and `sh -c SCRIPT` whose lines run those."""
    if argv[:2] == ["python", "-m"]:
        module = argv[2]
        if not module.startswith("workers.") or importlib.util.find_spec(module) is None:
            return f"no module {module}"
        return None
    if argv[:1] == ["liaison"]:
        words = tuple(w for w in argv[1:] if not w.startswith("-"))
        known = cli_commands()
        for length in range(len(words), 0, -1):
            if words[:length] in known:
                return None
        return f"no command liaison {' '.join(words)}"
    if argv[:1] == ["sh"] and argv[-1] != argv[0]:
        runs = [
            shlex.split(line.removeprefix("exec "))
            for line in argv[-1].splitlines()
            if re.match(r"\s*(exec\s+)?(liaison|python)\b", line)
        ]
        if not runs:
            return "the script runs no Liaison command"
        problems = [p for p in map(command_problem, runs) if p]
        return "; ".join(problems) or None
    return f"not a Liaison command: {argv}"

"""The Kubernetes manifests render and validate offline against Kubernetes' JSON schemas
(`kubernetes-validate` ships them), and name only what Liaison has: settings, entry points,
commands, and the Secrets CloudNativePG and the Temporal chart make."""

import copy
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import (
    K8S,
    command_problem,
    containers,
    kubectl_render,
    load_all,
    pod_spec,
    render,
    settings_names,
)

KUBERNETES = "1.32"
"""The oldest Kubernetes the manifests are written for (CronJob's timeZone needs 1.27)."""

BASE = render(K8S / "base")
CNPG = {(o["kind"], o["metadata"]["name"]): o for o in load_all(K8S / "cnpg" / "cluster.yaml")}
TEMPORAL = yaml.safe_load((K8S / "temporal" / "values.yaml").read_text(encoding="utf-8"))


def _named(kind: str, name: str) -> dict[str, Any]:
    return next(o for o in BASE if o["kind"] == kind and o["metadata"]["name"] == name)


def test_the_base_renders_every_part() -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in BASE}
    assert {
        ("Deployment", "liaison-web"),
        ("Service", "liaison-web"),
        ("Deployment", "liaison-worker"),
        ("Deployment", "liaison-dispatcher"),
        ("Deployment", "liaison-projector"),
        ("CronJob", "liaison-checkpoint"),
        ("CronJob", "liaison-backup"),
        ("ConfigMap", "liaison-config"),
    } <= kinds
    assert all(o["metadata"]["namespace"] == "liaison" for o in BASE)


def test_kubectl_renders_the_same() -> None:
    """Where kubectl is installed, its kustomize agrees with the renderer these tests use."""
    rendered = kubectl_render(K8S / "base")
    if rendered is None:
        pytest.skip("kubectl is not installed here")
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(rendered, key=key) == sorted(BASE, key=key)


@pytest.mark.parametrize("obj", BASE, ids=lambda o: f"{o['kind']}/{o['metadata']['name']}")
def test_each_object_validates_against_the_kubernetes_schema(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES, strict=True)


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    """The check can fail: a field Kubernetes does not have, and a wrong type, are refused."""
    misspelt = copy.deepcopy(_named("Deployment", "liaison-worker"))
    misspelt["spec"]["replica"] = misspelt["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, KUBERNETES, strict=True)
    wrong_type = copy.deepcopy(_named("Deployment", "liaison-web"))
    pod_spec(wrong_type)["containers"][0]["ports"][0]["containerPort"] = "eight thousand"  # type: ignore[index]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, KUBERNETES, strict=True)


@pytest.mark.parametrize(
    "obj",
    [o for o in BASE if containers(o)],
    ids=lambda o: f"{o['kind']}/{o['metadata']['name']}",
)
def test_each_container_runs_a_liaison_process_as_a_non_root_user(obj: dict[str, Any]) -> None:
    spec = pod_spec(obj)
    assert spec is not None
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    for container in containers(obj):
        assert command_problem(container["command"]) is None, container["command"]
        assert container["image"].startswith("registry.example.org/liaison:")
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert "memory" in container["resources"]["limits"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])


def test_every_long_running_process_has_probes_on_its_own_ports() -> None:
    for obj in (o for o in BASE if o["kind"] == "Deployment"):
        for container in containers(obj):
            ports = {p["name"] for p in container["ports"]}
            for probe, path in (
                ("startupProbe", "/healthz"),
                ("livenessProbe", "/healthz"),
                ("readinessProbe", "/readyz"),
            ):
                assert container[probe]["httpGet"]["path"] == path
                assert container[probe]["httpGet"]["port"] in ports
    worker = containers(_named("Deployment", "liaison-worker"))[0]
    assert worker["ports"] == [{"name": "health", "containerPort": 9464}]


def test_the_dispatcher_and_projector_have_a_standby_and_web_and_worker_two_copies() -> None:
    for name in ("web", "worker", "dispatcher", "projector"):
        assert _named("Deployment", f"liaison-{name}")["spec"]["replicas"] >= 2


def test_every_environment_name_is_a_setting() -> None:
    known = settings_names()
    configured = set(_named("ConfigMap", "liaison-config")["data"])
    assert configured <= known, configured - known
    for obj in BASE:
        for container in containers(obj):
            names = {e["name"] for e in container.get("env", [])}
            assert names <= known, (obj["metadata"]["name"], names - known)
            sources = {s["configMapRef"]["name"] for s in container.get("envFrom", [])}
            assert sources == {"liaison-config"}


def test_the_secrets_are_those_cloudnativepg_makes_and_the_operator_provides() -> None:
    """DATABASE_URL is the `uri` of the Secret CloudNativePG writes for the cluster in ../cnpg."""
    liaison_db = CNPG["Cluster", "liaison-db"]
    assert liaison_db["apiVersion"] == "postgresql.cnpg.io/v1"
    assert liaison_db["metadata"]["namespace"] == "liaison"
    cnpg_secret = f"{liaison_db['metadata']['name']}-app"
    provided = {cnpg_secret, "liaison-temporal", "liaison-seal-key"}
    for obj in BASE:
        for container in containers(obj):
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref is None:
                    continue
                assert ref["name"] in provided
                if env["name"] == "DATABASE_URL":
                    assert (ref["name"], ref["key"]) == (cnpg_secret, "uri")
                else:
                    assert ref.get("optional") is True or ref["name"] == cnpg_secret
        for volume in (pod_spec(obj) or {}).get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in provided


def test_the_seal_key_reaches_the_checkpoint_job_alone() -> None:
    for obj in BASE:
        volumes = (pod_spec(obj) or {}).get("volumes", [])
        holds_key = any(
            v.get("secret", {}).get("secretName") == "liaison-seal-key" for v in volumes
        )
        assert holds_key == (obj["metadata"]["name"] == "liaison-checkpoint")
    checkpoint = _named("CronJob", "liaison-checkpoint")
    assert pod_spec(checkpoint)["nodeSelector"]  # type: ignore[index]


def test_temporal_runs_from_its_helm_chart_on_the_cloudnativepg_cluster() -> None:
    config = _named("ConfigMap", "liaison-config")["data"]
    assert config["TEMPORAL_ADDRESS"] == "temporal-frontend.temporal.svc.cluster.local:7233"
    server = TEMPORAL["server"]["config"]
    names = [n["name"] for n in server["namespaces"]["namespace"]]
    assert config["TEMPORAL_NAMESPACE"] in names
    temporal_db = CNPG["Cluster", "temporal-db"]
    visibility = CNPG["Database", "temporal-visibility"]
    host = f"{temporal_db['metadata']['name']}-rw.{temporal_db['metadata']['namespace']}.svc"
    databases = {temporal_db["spec"]["bootstrap"]["initdb"]["database"], visibility["spec"]["name"]}
    for store in server["persistence"]["datastores"].values():
        sql = store["sql"]
        assert sql["pluginName"] == "postgres12"
        assert sql["connectAddr"].startswith(host)
        assert sql["existingSecret"] == f"{temporal_db['metadata']['name']}-app"
        assert sql["databaseName"] in databases
        assert "password" not in sql
    assert visibility["spec"]["cluster"]["name"] == temporal_db["metadata"]["name"]

"""The Temporal client's settings (address, namespace, API key, TLS) become the right arguments
of `Client.connect`; contradictory or unreadable TLS settings are refused, said plainly."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from workers.bootstrap import temporal_connect_config
from workers.settings import Settings

TEMPORAL_ENVIRONMENT = (
    "LIAISON_TEMPORAL_DEV_PORT",
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
)


@pytest.fixture(autouse=True)
def _no_temporal_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings under test are the ones given here, not the shell's."""
    for name in TEMPORAL_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def _pem(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(f"-----BEGIN {name}-----\n".encode())
    return path


def test_nothing_set_means_the_embedded_dev_server_in_plain_text() -> None:
    assert temporal_connect_config(Settings()) == {
        "target_host": "localhost:7233",
        "namespace": "default",
    }


def test_the_embedded_dev_server_is_reached_on_the_port_it_was_given() -> None:
    """`liaison up` with LIAISON_TEMPORAL_DEV_PORT starts its dev server there: every client
    (the demo's onboarding, `liaison onboard` beside it) connects there too, not to 7233."""
    settings = Settings(temporal_dev_port=7300)
    assert temporal_connect_config(settings)["target_host"] == "localhost:7300"
    given = Settings(temporal_dev_port=7300, temporal_address="temporal.example.org:7233")
    assert temporal_connect_config(given)["target_host"] == "temporal.example.org:7233"


def test_the_environment_names_are_temporals_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key, ca = _pem(tmp_path, "CERT"), _pem(tmp_path, "KEY"), _pem(tmp_path, "CA")
    for name, value in {
        "TEMPORAL_ADDRESS": "temporal-frontend.temporal:7233",
        "TEMPORAL_NAMESPACE": "liaison-hanoi",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(cert),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(key),
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(ca),
        "TEMPORAL_TLS_SERVER_NAME": "frontend.temporal.internal",
        "TEMPORAL_API_KEY": "secret-key",
    }.items():
        monkeypatch.setenv(name, value)
    config = temporal_connect_config(Settings())
    assert config == {
        "target_host": "temporal-frontend.temporal:7233",
        "namespace": "liaison-hanoi",
        "api_key": "secret-key",
        "tls": TLSConfig(
            domain="frontend.temporal.internal",
            server_root_ca_cert=b"-----BEGIN CA-----\n",
            client_cert=b"-----BEGIN CERT-----\n",
            client_private_key=b"-----BEGIN KEY-----\n",
        ),
    }


def test_an_api_key_alone_speaks_tls_with_the_systems_roots() -> None:
    config = temporal_connect_config(
        Settings(temporal_address="ns.acct.tmprl.cloud:7233", temporal_api_key="k")
    )
    assert config["api_key"] == "k"
    assert config["tls"] is True


def test_tls_can_be_turned_off_beside_an_api_key() -> None:
    config = temporal_connect_config(Settings(temporal_api_key="k", temporal_tls=False))
    assert config["tls"] is False


def test_tls_on_without_files_trusts_the_system_roots() -> None:
    assert temporal_connect_config(Settings(temporal_tls=True))["tls"] == TLSConfig()


def test_a_ca_alone_checks_the_server_without_a_client_certificate(tmp_path: Path) -> None:
    ca = _pem(tmp_path, "CA")
    tls = temporal_connect_config(Settings(temporal_tls_server_ca_cert=ca))["tls"]
    assert tls == TLSConfig(server_root_ca_cert=b"-----BEGIN CA-----\n")
    assert "api_key" not in temporal_connect_config(Settings(temporal_tls_server_ca_cert=ca))


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"temporal_tls_client_cert": "c.pem"}, "go together"),
        ({"temporal_tls_client_key": "k.pem"}, "go together"),
        ({"temporal_tls": False, "temporal_tls_server_name": "x"}, "contradicts"),
        (
            {
                "temporal_tls": False,
                "temporal_tls_client_cert": "c.pem",
                "temporal_tls_client_key": "k.pem",
            },
            "contradicts",
        ),
    ],
)
def test_contradictory_tls_settings_are_refused(given: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError, match=said):
        Settings(**given)


def test_a_missing_certificate_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    settings = Settings(temporal_tls_client_cert=missing, temporal_tls_client_key=missing)
    with pytest.raises(ValueError, match=r"Temporal TLS file cannot be read: .*nowhere\.pem"):
        temporal_connect_config(settings)

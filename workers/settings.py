"""Liaison's configuration: the one place that reads the environment."""

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("liaison"))


class Settings(BaseSettings):
    """Validated settings; unset external services mean "use the embedded stack"."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, extra="ignore", populate_by_name=True, frozen=True
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("database_url", "DATABASE_URL")
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        validation_alias=AliasChoices("data_dir", "LIAISON_DATA_DIR"),
    )
    language: Literal["vi", "en"] = Field(
        default="vi", validation_alias=AliasChoices("language", "LIAISON_LANG")
    )
    temporal_address: str | None = Field(
        default=None, validation_alias=AliasChoices("temporal_address", "TEMPORAL_ADDRESS")
    )
    temporal_namespace: str = Field(
        default="default",
        min_length=1,
        validation_alias=AliasChoices("temporal_namespace", "TEMPORAL_NAMESPACE"),
    )
    temporal_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("temporal_api_key", "TEMPORAL_API_KEY"),
    )
    """An API key for the Temporal server (Temporal Cloud, or a gateway that asks for one); with it
    the client speaks TLS unless TEMPORAL_TLS=false."""
    temporal_tls: bool | None = Field(
        default=None, validation_alias=AliasChoices("temporal_tls", "TEMPORAL_TLS")
    )
    """TLS to Temporal: true (the system's CA roots unless a CA file is given), false (plain, even
    with an API key); unset means TLS when any TLS file or an API key is set."""
    temporal_tls_client_cert: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("temporal_tls_client_cert", "TEMPORAL_TLS_CLIENT_CERT_PATH"),
    )
    """The client's certificate (PEM) for mutual TLS, with TEMPORAL_TLS_CLIENT_KEY_PATH."""
    temporal_tls_client_key: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("temporal_tls_client_key", "TEMPORAL_TLS_CLIENT_KEY_PATH"),
    )
    """The client certificate's private key (PEM)."""
    temporal_tls_server_ca_cert: Path | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "temporal_tls_server_ca_cert", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"
        ),
    )
    """The CA (PEM) the Temporal server's certificate must chain to (default: the system's)."""
    temporal_tls_server_name: str | None = Field(
        default=None,
        validation_alias=AliasChoices("temporal_tls_server_name", "TEMPORAL_TLS_SERVER_NAME"),
    )
    """The name the server's certificate must carry, when it is not TEMPORAL_ADDRESS's host."""
    web_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("web_host", "LIAISON_WEB_HOST")
    )
    web_port: int = Field(
        default=8000, ge=1, le=65535, validation_alias=AliasChoices("web_port", "LIAISON_WEB_PORT")
    )
    smtp_host: str | None = Field(
        default=None, validation_alias=AliasChoices("smtp_host", "LIAISON_SMTP_HOST")
    )
    smtp_port: int = Field(
        default=25, ge=1, le=65535, validation_alias=AliasChoices("smtp_port", "LIAISON_SMTP_PORT")
    )
    smtp_sender: str = Field(
        default="liaison@localhost",
        validation_alias=AliasChoices("smtp_sender", "LIAISON_SMTP_SENDER"),
    )
    smtp_recipient: str | None = Field(
        default=None, validation_alias=AliasChoices("smtp_recipient", "LIAISON_SMTP_RECIPIENT")
    )

    temporal_dev_port: int = Field(
        default=7233,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("temporal_dev_port", "LIAISON_TEMPORAL_DEV_PORT"),
    )
    """Where `liaison up`'s embedded Temporal dev server listens (its UI: `temporal_ui_port`)."""
    temporal_ui_port: int = Field(
        default=8233,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("temporal_ui_port", "LIAISON_TEMPORAL_UI_PORT"),
    )

    health_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("health_host", "LIAISON_HEALTH_HOST")
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("health_port", "LIAISON_HEALTH_PORT"),
    )
    """The worker's, dispatcher's or projector's `/healthz`, `/readyz` and `/metrics` (the web
    serves them on its own port). Off when unset: a process started by hand opens no port it
    was not asked for; `liaison up` gives each of its processes one beside the board's."""
    temporal_metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("temporal_metrics_port", "LIAISON_TEMPORAL_METRICS_PORT"),
    )
    """Where the Temporal SDK's own Prometheus exporter listens (on `health_host`), in the
    processes that hold a Temporal client; its metrics are also served on `/metrics`."""
    ready_max_lag: int = Field(
        default=10_000,
        ge=0,
        validation_alias=AliasChoices("ready_max_lag", "LIAISON_READY_MAX_LAG"),
    )
    """The most events a read model (or the dispatcher) may be behind the store and be ready."""
    tracing: bool = Field(
        default=False, validation_alias=AliasChoices("tracing", "LIAISON_TRACING")
    )
    """OpenTelemetry traces of HTTP requests and Temporal calls, exported over OTLP/HTTP."""
    otlp_endpoint: str = Field(
        default="http://localhost:4318/v1/traces",
        validation_alias=AliasChoices("otlp_endpoint", "LIAISON_OTLP_ENDPOINT"),
    )
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias=AliasChoices("log_format", "LIAISON_LOG_FORMAT")
    )
    """`json`: one JSON object a line on standard error, for a log collector."""

    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("token", "LIAISON_TOKEN")
    )
    """A `liaison login` token to act with instead of the one saved in the user's config folder."""

    seal_key_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("seal_key_file", "LIAISON_SEAL_KEY_FILE")
    )
    """The seal's Ed25519 private key (PEM), on the machine that signs checkpoints only."""
    seal_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("seal_key", "LIAISON_SEAL_KEY")
    )
    """The same key given in the environment instead (PEM text, or the raw 32 bytes in hex)."""
    seal_public_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("seal_public_key", "LIAISON_SEAL_PUBLIC_KEY"),
    )
    """The public key (hex) checkpoints must be signed with (default: the private key's own)."""
    checkpoint_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("checkpoint_dir", "LIAISON_CHECKPOINT_DIR")
    )
    """Where `liaison seal publish` and the schedule write checkpoint files (default: the data
    folder's `checkpoints`)."""

    @field_validator("database_url")
    @classmethod
    def _is_postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_POSTGRES_SCHEMES):
            msg = "DATABASE_URL must start with postgresql:// or postgres://"
            raise ValueError(msg)
        return value

    @field_validator("temporal_address")
    @classmethod
    def _is_host_and_port(cls, value: str | None) -> str | None:
        if value is not None and not value.rpartition(":")[2].isdigit():
            msg = "TEMPORAL_ADDRESS must be host:port, for example temporal.example.org:7233"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _temporal_tls_consistent(self) -> "Settings":
        cert, key = self.temporal_tls_client_cert, self.temporal_tls_client_key
        if (cert is None) != (key is None):
            msg = (
                "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: "
                "set both for mutual TLS, or neither"
            )
            raise ValueError(msg)
        files = cert or self.temporal_tls_server_ca_cert or self.temporal_tls_server_name
        if self.temporal_tls is False and files:
            msg = "TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* settings given"
            raise ValueError(msg)
        return self

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def temporal_target(self) -> str:
        """The Temporal server every client connects to: `temporal_address`, else `liaison up`'s
        embedded dev server, on `temporal_dev_port`."""
        return self.temporal_address or f"localhost:{self.temporal_dev_port}"


def load_settings() -> Settings:
    """Read and validate the settings from the environment; raise on invalid values."""
    return Settings()

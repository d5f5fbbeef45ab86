"""OpenTelemetry traces (off unless `LIAISON_TRACING`): HTTP requests through FastAPI's
instrumentation, Temporal calls, workflows and activities through `temporalio.contrib`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workers.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from temporalio.client import Interceptor


def tracer_provider(
    settings: Settings, process: str, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """The process's tracer provider, exporting over OTLP/HTTP (or to `exporter`); None when
    tracing is off. Made at the first call for each process name (later calls get that one)
    and set as OpenTelemetry's global provider."""
    if not settings.tracing:
        return None
    if process not in _providers:
        _providers[process] = _provider(settings.otlp_endpoint, process, exporter)
    return _providers[process]


_providers: dict[str, TracerProvider] = {}


def _provider(endpoint: str, process: str, exporter: SpanExporter | None) -> TracerProvider:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"liaison-{process}"}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """The client interceptors that trace Temporal calls, workflows and activities (none when
    tracing is off); workers made from the client inherit them."""
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(provider.get_tracer("temporalio"))]


def trace_web(app: FastAPI, provider: TracerProvider | None) -> None:
    """Trace every HTTP request of the board and API (nothing when tracing is off)."""
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
    )

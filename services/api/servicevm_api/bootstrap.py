"""Wires the api: its routes, error handlers, tables, handlers and gauges."""

from __future__ import annotations

from fastapi import FastAPI

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import metadata
from servicevm_api.entrypoints.errors import install_error_handlers
from servicevm_api.entrypoints.guards import BodySizeLimit, RejectNulInUrl, RequestTimeout
from servicevm_api.entrypoints.openapi import install_openapi
from servicevm_api.entrypoints.routes import (
    asyncapi,
    device_templates,
    devices,
    service_instances,
    service_types,
    subscriptions,
    topology,
    vims,
)
from servicevm_api.etsi.middleware import EtsiHeadersMiddleware
from servicevm_api.etsi.problem import install_problem_handlers
from servicevm_api.etsi.version import api_versions_router
from servicevm_api.handlers import HANDLERS
from servicevm_api.identity import make_authenticator
from servicevm_api.jobs.deadlines import expire_unanswered
from servicevm_api.policy import make_enforcer
from servicevm_api.ratelimit import WriteRateLimiter
from servicevm_api.vnflcm import opocc_routes as vnf_lcm_op_occs
from servicevm_api.vnflcm import routes as vnf_instances
from servicevm_api.vnflcm import task_routes as vnf_lcm_tasks
from servicevm_api.vnflcm.subscriptions import routes as lccn_subscriptions
from servicevm_api.vnfpkgm import content_routes as vnf_package_content
from servicevm_api.vnfpkgm import routes as vnf_packages
from shared.config import Settings
from shared.http_server import CaseKeepingHttpToolsProtocol
from shared.messaging.dispatch import ServiceStore
from shared.observability.gauges import device_gauge_refresher
from shared.runtime import ServiceDefinition


def configure_app(app: FastAPI, store: ServiceStore) -> None:
    app.title = "servicevm"
    app.description = (
        "Service-VM device manager: device templates, devices, service instances placed onto "
        "device slots, their topology, the VIMs (clouds) devices are built in, and HTTP subscriptions "
        "to lifecycle notifications (Neutron-style REST)."
    )
    app.state.store = store
    settings: Settings = app.state.settings
    install_front_door(app, settings)
    install_error_handlers(app)
    install_etsi_conventions(app)
    app.include_router(device_templates.router)
    app.include_router(devices.router)
    app.include_router(service_types.router)
    app.include_router(service_instances.router)
    app.include_router(topology.router)
    app.include_router(vims.router)
    app.include_router(subscriptions.router)
    app.include_router(asyncapi.router)
    app.include_router(vnf_packages.router)
    app.include_router(vnf_package_content.router)
    app.include_router(vnf_instances.router)
    app.include_router(vnf_lcm_tasks.router)
    app.include_router(vnf_lcm_op_occs.router)
    app.include_router(lccn_subscriptions.router)
    # Typed errors: 400 (Neutron's form), not FastAPI's default 422.
    install_openapi(app)


def install_etsi_conventions(app: FastAPI) -> None:
    """Under /vnfpkgm and /vnflcm: ProblemDetails for every error (the api's own handlers
    wrapped), Version negotiation (406) and headers, canonical header names, api_versions.
    Added after the front door's middlewares, so it is the outermost and sees their errors."""
    install_problem_handlers(app)
    app.add_middleware(EtsiHeadersMiddleware)
    app.include_router(api_versions_router())


def install_front_door(app: FastAPI, settings: Settings) -> None:
    """Authentication, policy, write rate limits and the body and time guards."""
    app.state.authenticator = make_authenticator(settings)
    app.state.enforcer = make_enforcer(settings.policy_file)
    app.state.rate_limiter = WriteRateLimiter(
        settings.redis_url,
        limit=settings.write_rate_limit,
        window_seconds=settings.write_rate_window_seconds,
    )
    # Added last, runs first: the body limit sees the request before the timeout starts.
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_seconds)
    app.add_middleware(RejectNulInUrl)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_package_bytes=settings.max_package_bytes,
    )


DEFINITION = ServiceDefinition(
    name="api",
    metadata=metadata,
    handlers=HANDLERS,
    configure_app=configure_app,
    refresh_gauges=lambda store: device_gauge_refresher(store, repo.count_devices_by_status),
    background=(expire_unanswered,),
    # Header names in their canonical case on the wire (Location, ETag, Version...).
    http=CaseKeepingHttpToolsProtocol,
)

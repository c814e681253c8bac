"""Wires the api: its routes, error handlers, tables, handlers and gauges."""

from __future__ import annotations

from fastapi import FastAPI

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import metadata
from servicevm_api.entrypoints import (
    device_templates,
    devices,
    service_instances,
    service_types,
    topology,
    vims,
)
from servicevm_api.entrypoints.errors import install_error_handlers
from servicevm_api.handlers import HANDLERS
from shared.messaging.dispatch import ServiceStore
from shared.observability.gauges import device_gauge_refresher
from shared.runtime import ServiceDefinition


def configure_app(app: FastAPI, store: ServiceStore) -> None:
    app.title = "servicevm"
    app.description = (
        "Service-VM device manager: device templates, devices, service instances placed onto "
        "device slots, their topology, and the VIMs (clouds) devices are built in (Neutron-style REST)."
    )
    app.state.store = store
    install_error_handlers(app)
    app.include_router(device_templates.router)
    app.include_router(devices.router)
    app.include_router(service_types.router)
    app.include_router(service_instances.router)
    app.include_router(topology.router)
    app.include_router(vims.router)


DEFINITION = ServiceDefinition(
    name="api",
    metadata=metadata,
    handlers=HANDLERS,
    configure_app=configure_app,
    refresh_gauges=lambda store: device_gauge_refresher(store, repo.count_devices_by_status),
)

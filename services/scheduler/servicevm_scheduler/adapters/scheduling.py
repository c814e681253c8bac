"""The SQL side of the ports, all on one unit of work's connection and outbox."""

from __future__ import annotations

from servicevm_scheduler.adapters.bindings import SqlBindings
from servicevm_scheduler.adapters.devices import SqlDevices
from servicevm_scheduler.adapters.instances import SqlInstances
from servicevm_scheduler.adapters.pools import SqlPools
from servicevm_scheduler.adapters.slots import SqlSlots
from servicevm_scheduler.adapters.templates import SqlTemplates
from servicevm_scheduler.adapters.waiting import SqlWaiting
from servicevm_scheduler.service_layer.ports import Scheduling
from shared.db.uow import UnitOfWork


def scheduling(uow: UnitOfWork) -> Scheduling:
    conn = uow.conn
    return Scheduling(
        outbox=uow,
        templates=SqlTemplates(conn),
        devices=SqlDevices(conn),
        slots=SqlSlots(conn),
        pools=SqlPools(conn),
        instances=SqlInstances(conn),
        waiting=SqlWaiting(conn),
        bindings=SqlBindings(conn),
    )

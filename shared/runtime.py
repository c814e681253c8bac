"""Run one service process: its HTTP app, its outbox relay and its bus consumer together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import aio_pika
import uvicorn
from fastapi import FastAPI
from sqlalchemy import MetaData, Table

from shared.apidocs import install_docs
from shared.config import ServiceName, Settings, get_settings
from shared.contracts.envelope import Message
from shared.contracts.registry import MESSAGE_TYPES
from shared.db.engine import make_engine
from shared.messaging.batching import BatchingDispatcher
from shared.messaging.consumer import FIRST_BACKOFF, MAX_BACKOFF, BusConsumer
from shared.messaging.dispatch import Dispatcher, HandlerTable, ServiceStore
from shared.messaging.handoff import Fenced, LeasedDispatch, replica_name
from shared.messaging.leases import LeaseStore
from shared.messaging.not_yet import WaitForDependencies
from shared.messaging.relay import OutboxRelay
from shared.messaging.topology import QUEUES, declare_topology
from shared.observability.gauges import service_gauge_refresher
from shared.observability.logging import configure_logging
from shared.observability.ops import GaugeRefresher, install_request_middleware, ops_router

log = logging.getLogger(__name__)
BackgroundJob = Callable[[ServiceStore, Settings], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes one service: its name, tables, handlers and (for the api) its routes."""

    name: ServiceName
    metadata: MetaData
    handlers: HandlerTable
    configure_app: Callable[[FastAPI, ServiceStore], None] | None = None
    refresh_gauges: Callable[[ServiceStore], GaugeRefresher] | None = None
    # Periodic jobs, run beside the consumer for the life of the process.
    background: tuple[BackgroundJob, ...] = ()
    # Its resource_leases table, for a service whose handlers call slow drivers: each message
    # is handled under its subject's lease, long ones are handed off (messaging.handoff).
    leases: Table | None = None
    # The message types handled under a lease (their handlers call drivers); None: all.
    leased_types: frozenset[type[Message]] | None = None
    # uvicorn's HTTP implementation: a name, or a protocol class (the api's keeps the
    # canonical case of header names the ETSI interfaces need: shared.http_server).
    http: Literal["auto", "h11", "httptools"] | type[asyncio.Protocol] = "auto"
    # Batches of one-transaction messages it runs at once (messaging.batching), unless
    # SERVICEVM_BATCH_SLOTS says otherwise.
    batch_slots: int = 1


def build_store(definition: ServiceDefinition, settings: Settings) -> ServiceStore:
    tables = definition.metadata.tables
    schema = definition.name
    return ServiceStore(
        service=schema,
        engine=make_engine(settings, definition.name),
        outbox=tables[f"{schema}.outbox"],
        inbox=tables[f"{schema}.processed_messages"],
    )


def create_app(definition: ServiceDefinition, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    store = build_store(definition, settings)
    dispatcher = batching_dispatcher(definition, Dispatcher(store, definition.handlers), settings)
    queue = QUEUES[definition.name]
    unbound = dispatcher.handled_types() - _bound_types(queue.routing_keys())
    if unbound:
        raise RuntimeError(
            f"{definition.name} handles messages its queue is not bound to: {unbound}"
        )

    unhandled = _bound_types(queue.routing_keys()) - dispatcher.handled_types()
    if unhandled:
        # Such messages are dead-lettered (no handler), not acknowledged and forgotten.
        log.warning(
            "queue bound to message types this service has no handler for",
            extra={"message_types": sorted(unhandled)},
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Nothing here needs RabbitMQ or PostgreSQL to be up: the process starts, answers
        # /healthz, and each part waits for its server (retrying with a backoff).
        relay = OutboxRelay(
            service=definition.name,
            engine=store.engine,
            outbox=store.outbox,
            amqp_url=settings.amqp_url,
            poll_seconds=settings.relay_poll_seconds,
            batch_size=settings.relay_batch_size,
        )
        tasks = [asyncio.create_task(relay.run(), name=f"relay-{definition.name}")]
        tasks += [
            asyncio.create_task(_supervised(job, store, settings)) for job in definition.background
        ]
        # A message that came before what it needs is handled again shortly (not_yet.py).
        waiting = WaitForDependencies(dispatcher, wait_seconds=settings.dependency_wait_seconds)
        leased = _leased(definition, store, settings, waiting, dispatcher.fenced)
        if leased is not None:
            tasks.append(asyncio.create_task(leased.sweep(settings.lease_sweep_seconds)))
        consumer = BusConsumer(
            amqp_url=settings.amqp_url,
            queue=queue,
            dispatch=waiting if leased is None else leased,
            prefetch_count=settings.prefetch_count,
        )
        _app.state.consumer = consumer
        tasks.append(asyncio.create_task(_declare_then_consume(settings.amqp_url, consumer)))
        log.info("service started", extra={"port": settings.port(definition.name)})
        try:
            yield
        finally:
            await consumer.stop()
            if leased is not None:
                await leased.stop()  # what still runs is handed to another replica
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await store.engine.dispose()

    app = FastAPI(
        title=f"servicevm {definition.name}", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    install_docs(app)
    own = definition.refresh_gauges(store) if definition.refresh_gauges else None
    gauges = service_gauge_refresher(definition.name, store, settings.amqp_url, own)
    app.include_router(
        ops_router(
            engine=store.engine,
            amqp_url=settings.amqp_url,
            refresh_gauges=gauges,
            # The api accepts writes into its outbox while the broker is away: a load
            # balancer must keep sending it the requests the outbox exists for.
            broker_required=definition.name != "api",
        )
    )
    app.state.settings = settings
    if definition.configure_app is not None:
        definition.configure_app(app, store)
    # Last added, outermost: every answer, even a guard's refusal, carries the request id.
    install_request_middleware(app, definition.name)
    return app


def batching_dispatcher(
    definition: ServiceDefinition, dispatcher: Dispatcher, settings: Settings
) -> BatchingDispatcher:
    """Messages that arrive together share a transaction, up to what the consumer holds;
    those handled under a lease too, when their handler is one transaction: the batch's
    transaction holds their leases (batching.py)."""
    return BatchingDispatcher(
        dispatcher,
        max_batch=settings.prefetch_count,
        max_running=settings.batch_slots or definition.batch_slots,
        leases=definition.leases,
    )


def _leased(
    definition: ServiceDefinition,
    store: ServiceStore,
    settings: Settings,
    dispatcher: WaitForDependencies,
    fenced: Fenced,
) -> LeasedDispatch | None:
    if definition.leases is None:
        return None
    leases = LeaseStore(
        store.engine,
        definition.leases,
        owner=replica_name(definition.name),
        seconds=settings.lease_seconds,
    )
    return LeasedDispatch(
        dispatcher,
        leases,
        handoff_after=settings.handoff_after_seconds,
        lease_seconds=settings.lease_seconds,
        only=None
        if definition.leased_types is None
        else frozenset(model.TYPE for model in definition.leased_types),
        fenced=fenced,
    )


def _bound_types(routing_keys: set[str]) -> set[str]:
    """Message types matched by the queue's binding keys (``lifecycle.#`` style wildcards)."""
    return {
        name
        for name in MESSAGE_TYPES
        for key in routing_keys
        if name == key or (key.endswith(".#") and name.startswith(key[:-1]))
    }


async def _declare(amqp_url: str) -> None:
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        await declare_topology(await connection.channel())


async def _declare_then_consume(amqp_url: str, consumer: BusConsumer) -> None:
    """Declare the topology once the broker answers, then consume: no consumer on a queue
    that does not exist yet."""
    backoff = FIRST_BACKOFF
    while True:
        try:
            await _declare(amqp_url)
            break
        except Exception as exc:
            log.warning(
                "broker unreachable; waiting", extra={"retry_in": backoff, "error": repr(exc)}
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
    consumer.start()


async def _supervised(job: BackgroundJob, store: ServiceStore, settings: Settings) -> None:
    """A background job that fails (its server away at start, say) is started again after
    a backoff rather than lost for the life of the process."""
    name = getattr(job, "__name__", type(job).__name__)
    backoff = FIRST_BACKOFF
    while True:
        try:
            await job(store, settings)
            return
        except Exception:
            log.warning(
                "background job failed; restarting",
                extra={"job": name, "retry_in": backoff},
                exc_info=True,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


def serve(definition: ServiceDefinition) -> None:
    """The process entry point of every service."""
    settings = get_settings()
    configure_logging(definition.name, settings.log_level)
    uvicorn.run(
        create_app(definition, settings),
        host=settings.bind_host,
        port=settings.port(definition.name),
        log_config=None,
        timeout_graceful_shutdown=10,
        http=definition.http,
    )

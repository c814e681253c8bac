"""Exchanges, queues and bindings of the whole suite, declared in one place.

Declaring every service's queue before anything publishes means no message is ever
unroutable because its consumer has not started yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq

from shared.config import SERVICES, ServiceName, Settings, get_settings

log = logging.getLogger(__name__)

COMMANDS = "servicevm.commands"
EVENTS = "servicevm.events"
NOTIFICATIONS = "servicevm.notifications"
# The same notifications, routing key ``<project>.<event_type>``: a broker user per project
# may read only its own keys (topic permissions), while NOTIFICATIONS is for admins.
PROJECT_NOTIFICATIONS = "servicevm.notifications.projects"
DEAD_LETTER = "servicevm.dead-letter"
# Every project's notifications kept for replay (a RabbitMQ stream, for admins): bound to
# NOTIFICATIONS with "#", so whatever is published there, whoever publishes it, is in it.
NOTIFICATION_STREAM = "servicevm.notifications.stream"
# A message requeued this many times (a transient failure each time: ~4 min of outage at the
# consumer's 5 s backoff) is dead-lettered by the broker instead of being retried forever.
DELIVERY_LIMIT = 50

_TEMPLATE_EVENTS = ("device_template.created", "device_template.updated", "device_template.deleted")
_DEVICE_STATE_EVENTS = ("device.status_changed", "device.deleted")
# lifecycle's reports on VNF LCM, for the api's projection of VNF instances and op occs.
_VNFLCM_EVENTS = ("vnf_lcm_op_occ.changed", "vnf_instance.changed")
_SOL003_SOURCES = (
    "vnf_instance.created",
    "vnf_instance.deleted",
    "vnf_lcm_op_occ.started",
    "vnf_lcm_op_occ.changed",
)
_INSTANCE_STATE_EVENTS = (
    "service_instance.status_changed",
    "service_instance.deleted",
    "device.capacity_changed",
)


@dataclass(frozen=True)
class QueueSpec:
    service: ServiceName
    commands: tuple[str, ...]
    events: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"servicevm.{self.service}"

    @property
    def dead_letter_name(self) -> str:
        return f"{self.name}.dead-letter"

    @property
    def arguments(self) -> dict[str, Any]:
        # Quorum: the broker counts deliveries (x-delivery-limit), which a classic queue cannot.
        # Single active consumer: of a service's replicas, one consumes at a time and the
        # others stand by, so messages are handled in queue order (per resource, by the
        # consumer's sequencer) whatever the replica count; on its loss the next replica
        # takes over and its unsettled messages come back first (README, "Replicas").
        return {
            "x-queue-type": "quorum",
            "x-single-active-consumer": True,
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER,
            "x-dead-letter-routing-key": self.name,
        }

    def routing_keys(self) -> set[str]:
        return set(self.commands) | set(self.events)


QUEUES: dict[ServiceName, QueueSpec] = {
    "api": QueueSpec(
        "api",
        # The api's own background work (VNF package onboarding).
        commands=("api.#",),
        events=(
            *_DEVICE_STATE_EVENTS,
            *_INSTANCE_STATE_EVENTS,
            "vim.status_changed",
            *_VNFLCM_EVENTS,
            "device.monitors_reported",
            "subscription.delivery_state_changed",
        ),
    ),
    "scheduler": QueueSpec(
        "scheduler",
        commands=("scheduler.#",),
        events=(
            *_TEMPLATE_EVENTS,
            *_DEVICE_STATE_EVENTS,
            "device.lost",
            "service_instance.configured",
            "service_instance.unconfigured",
        ),
    ),
    "lifecycle": QueueSpec(
        "lifecycle",
        commands=("lifecycle.#",),
        # vnf_instance.deleted: the VNF aggregate goes with the api's record.
        events=("device.configured", "device.health_changed", "vnf_instance.deleted"),
    ),
    "mgmt": QueueSpec(
        "mgmt",
        commands=("mgmt.#",),
        events=(
            *_TEMPLATE_EVENTS,
            *_DEVICE_STATE_EVENTS,
            *_INSTANCE_STATE_EVENTS,
            "device.spawned",
            "service_instance.placed",
            "service_instance.releasing",
            # The SOL003 notifications: the api's VNF records and op occ starts, lifecycle's
            # op occ changes.
            *_SOL003_SOURCES,
        ),
    ),
}


async def declare_topology(channel: aio_pika.abc.AbstractChannel) -> None:
    """Idempotently declare all exchanges, service queues, dead-letter queues and bindings."""
    topic = aio_pika.ExchangeType.TOPIC
    exchanges = {
        name: await channel.declare_exchange(name, topic, durable=True)
        for name in (COMMANDS, EVENTS, NOTIFICATIONS, PROJECT_NOTIFICATIONS)
    }
    dead_letter = await channel.declare_exchange(
        DEAD_LETTER, aio_pika.ExchangeType.DIRECT, durable=True
    )
    for service in SERVICES:
        spec = QUEUES[service]
        parked = await channel.declare_queue(spec.dead_letter_name, durable=True)
        await parked.bind(dead_letter, routing_key=spec.name)
        queue = await _declare_service_queue(channel, spec)
        for key in spec.commands:
            await queue.bind(exchanges[COMMANDS], routing_key=key)
        for key in spec.events:
            await queue.bind(exchanges[EVENTS], routing_key=key)
    await _declare_notification_stream(channel, get_settings())


async def _declare_service_queue(
    channel: aio_pika.abc.AbstractChannel, spec: QueueSpec
) -> aio_pika.abc.AbstractQueue:
    """The service's quorum queue. An install from before quorum queues (or before single
    active consumers) has a queue with other arguments, which cannot be redeclared
    (PRECONDITION_FAILED): an empty one is replaced; one holding messages is kept, with a
    warning, until an operator drains it."""
    try:
        return await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        await channel.reopen()  # the broker closed the channel on the failed declare
    existing = await channel.declare_queue(spec.name, passive=True)
    waiting = existing.declaration_result.message_count
    if waiting == 0:
        log.warning(
            "replacing an empty queue of older arguments by the quorum queue",
            extra={"queue": spec.name},
        )
        try:
            # Not one another process has just made (and consumes from): if_unused.
            await existing.delete(if_unused=True, if_empty=True)
        except aiormq.exceptions.ChannelPreconditionFailed:
            await channel.reopen()
        return await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    log.warning(
        "queue %s of older arguments kept: it holds messages, so neither the delivery limit nor "
        "the single active consumer applies to it. To "
        "migrate: stop the publishers, let this service drain it, then "
        "`rabbitmqctl delete_queue %s` and start the service again",
        spec.name,
        spec.name,
        extra={"queue": spec.name, "messages": waiting},
    )
    return existing


def stream_arguments(settings: Settings) -> dict[str, Any]:
    """The stream's queue arguments: its retention by age and/or size, as configured."""
    arguments: dict[str, Any] = {
        "x-queue-type": "stream",
        "x-stream-max-segment-size-bytes": settings.notification_stream_segment_bytes,
    }
    if settings.notification_stream_max_age:
        arguments["x-max-age"] = settings.notification_stream_max_age
    if settings.notification_stream_max_bytes:
        arguments["x-max-length-bytes"] = settings.notification_stream_max_bytes
    return arguments


async def _declare_notification_stream(
    channel: aio_pika.abc.AbstractChannel, settings: Settings
) -> None:
    """The stream, bound to every notification. One declared earlier with other retention
    arguments cannot be redeclared (PRECONDITION_FAILED): it is kept, with a warning saying
    how to change its retention (a policy), rather than deleted with its history."""
    arguments = stream_arguments(settings)
    try:
        stream = await channel.declare_queue(NOTIFICATION_STREAM, durable=True, arguments=arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        await channel.reopen()  # the broker closed the channel on the failed declare
        stream = await channel.declare_queue(NOTIFICATION_STREAM, passive=True)
        log.warning(
            "stream %s exists with other arguments than %s; kept as it is. Change its "
            "retention with a policy: rabbitmqctl set_policy --apply-to queues "
            "servicevm-notification-stream '^servicevm\\.notifications\\.stream$' "
            '\'{"max-age": "7D"}\'',
            NOTIFICATION_STREAM,
            arguments,
            extra={"queue": NOTIFICATION_STREAM},
        )
    await stream.bind(NOTIFICATIONS, routing_key="#")

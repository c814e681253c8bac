"""The Celery app of the monitoring engine: beat emits one probe round per
``round_seconds``; workers run rounds and probe batches (``tasks``).

Run a worker (threads: each task runs its own asyncio loop, probes within it concurrently)
and beat::

    celery -A servicevm_mgmt.monitoring.celery_app:app worker --pool threads -c 4 -Q servicevm.monitoring
    celery -A servicevm_mgmt.monitoring.celery_app:app beat -s /tmp/servicevm-beat
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_init
from prometheus_client import start_http_server

from servicevm_mgmt.monitoring.settings import monitor_settings
from shared.config import get_settings

QUEUE = "servicevm.monitoring"
ROUND_TASK = "servicevm_mgmt.monitoring.probe_round"
BATCH_TASK = "servicevm_mgmt.monitoring.probe_batch"


def make_app() -> Celery:
    settings = monitor_settings()
    app = Celery(
        "servicevm_mgmt.monitoring",
        broker=settings.broker_url or get_settings().amqp_url,
        include=["servicevm_mgmt.monitoring.tasks"],
    )
    app.conf.update(
        task_default_queue=QUEUE,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "probe-round": {
                "task": ROUND_TASK,
                "schedule": settings.round_seconds,
                # A round nobody ran in time is superseded by the next one.
                "options": {"expires": settings.round_seconds * 2},
            }
        },
    )
    return app


app = make_app()


@worker_init.connect
def _serve_metrics(**_: object) -> None:
    port = monitor_settings().metrics_port
    if port:
        start_http_server(port, addr=get_settings().bind_host)

"""Health monitoring: mgmt keeps what to probe (``tables``, ``store``); a Celery beat emits
probe rounds and Celery workers run the probes (``celery_app``, ``tasks``, ``probes``); the
results are judged (``states``) and a device's health change goes out as an event through
mgmt's outbox, for lifecycle to decide DEAD, ACTIVE or respawn."""

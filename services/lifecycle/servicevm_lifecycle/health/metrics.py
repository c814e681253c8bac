"""lifecycle's health metrics."""

from __future__ import annotations

from prometheus_client import Counter

RESPAWNS = Counter(
    "servicevm_health_respawns_total",
    "Respawns of dead devices: started, failed, or stopped by the template's limit",
    ["outcome"],
)

"""lifecycle's health metrics."""

from __future__ import annotations

from prometheus_client import Counter

RESPAWNS = Counter(
    "servicevm_health_respawns_total",
    "Replacements of dead devices: respawns started, failed, stopped by the template's "
    "limit, or healed (a VNFC: its VNF's heal asked)",
    ["outcome"],
)

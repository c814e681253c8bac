"""Grants from an external NFVO (``SERVICEVM_NFVO_URL``): which ops ask, the job that asks.

The design is in ``vnflcm.domain.grants``. HTTP never runs inside a transaction: the op is
recorded awaiting its grant, the job claims it for a while (``grant_claimed_until``, so one
lifecycle replica asks at a time and a crashed one's claim runs out), asks or polls the
NFVO, then applies the answer in a transaction of its own that re-checks the op.
"""

from __future__ import annotations

from servicevm_lifecycle.vnflcm.domain.grants import GRANTED_OPERATIONS
from shared.config import get_settings
from shared.nfvo import configured


def needs_grant(operation: str) -> bool:
    return configured(get_settings()) and operation in GRANTED_OPERATIONS

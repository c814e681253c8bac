"""Job, once at start: after a new primary key is configured, re-encrypt the subscriptions'
secrets."""

from __future__ import annotations

from servicevm_mgmt.subscriptions.rotation import SUBSCRIPTION_SECRETS
from shared.secret_rotation import rotation_at_start

rotate_secrets_at_start = rotation_at_start(SUBSCRIPTION_SECRETS)

"""Job, once at start: after a new primary key is configured, re-encrypt the VIM secrets."""

from __future__ import annotations

from servicevm_lifecycle.vims.rotation import VIM_SECRETS
from shared.secret_rotation import rotation_at_start

rotate_secrets_at_start = rotation_at_start(VIM_SECRETS)

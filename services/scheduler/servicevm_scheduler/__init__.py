"""scheduler: places service instances onto device capacity (its projection of devices for now)."""

"""The api's periodic work, run beside its consumer (listed in ``bootstrap``)."""

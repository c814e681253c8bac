"""Code common to all servicevm services: contracts, bus, database, config, telemetry."""

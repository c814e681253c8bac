"""api: the REST gateway. Validates requests, keeps its own query model, sends commands."""

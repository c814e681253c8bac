"""The ``servicevm`` command line client: every /v1.0 resource, the topology and live
notifications, for operators and scripts (console script ``servicevm``)."""

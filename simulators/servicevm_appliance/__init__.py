"""A tiny stand-in for a network appliance: a process with a JSON management API.

The ``local`` device driver runs one per device and the ``http`` management driver
configures it, so the whole device lifecycle can run on one machine without a cloud.
"""

"""A small OpenStack (Keystone, Nova, Neutron, Glance, Heat) simulator over real HTTP.

Unmodified openstacksdk talks to it; tests inject faults and inspect what is left behind.
"""

from servicevm_cloudsim.cloud import HOSTS, BootRequest, Cloud, Timing
from servicevm_cloudsim.faults import NO_VALID_HOST, Faults, HttpFault
from servicevm_cloudsim.server import CloudSimulator

__all__ = [
    "HOSTS",
    "NO_VALID_HOST",
    "BootRequest",
    "Cloud",
    "CloudSimulator",
    "Faults",
    "HttpFault",
    "Timing",
]

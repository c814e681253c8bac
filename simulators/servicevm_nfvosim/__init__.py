"""A small NFVO over real HTTP: OAuth2 tokens, SOL003 grants, SOL005 onboarded packages.

A VNFM configured with ``SERVICEVM_NFVO_URL`` asks it for grants and fetches packages from
it; tests choose how it answers (grant, refuse, slowly, asynchronously) and stop it to make
it unreachable, and read back every grant request it received.
"""

from servicevm_nfvosim.server import NfvoSimulator
from servicevm_nfvosim.state import Behaviour, NfvoState

__all__ = ["Behaviour", "NfvoSimulator", "NfvoState"]

"""Messages are contracts: one typed, versioned definition used by producer and consumer."""

from shared.contracts.envelope import Envelope, Message, message_type
from shared.contracts.registry import parse_payload

__all__ = ["Envelope", "Message", "message_type", "parse_payload"]

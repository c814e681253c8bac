"""Messages of VNF package management (the api's own background work)."""

from __future__ import annotations

from typing import ClassVar

from shared.contracts.commands import Command


class OnboardVnfPackage(Command):
    """Onboard the uploaded content of VNF package ``id`` (the api consumes it itself).

    ``upload`` tells one upload from the next, so that a later upload of the same package
    is not mistaken for a redelivery of an earlier one."""

    TYPE: ClassVar[str] = "api.onboard_vnf_package"

    upload: int

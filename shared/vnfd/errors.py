"""The one error of the VNF package library: a package that cannot be used, and why."""

from __future__ import annotations


class VnfdError(ValueError):
    """A VNF package or its VNFD is unusable.

    ``file`` is the package path the problem is in and ``node`` the node template (or
    policy) it concerns, when known; ``str()`` gives them in front of the reason, e.g.
    ``Definitions/df.yaml: node VDU1: vdu_profile.max_number_of_instances is missing``,
    which is what the package's onboarding failure reason shows. ``what`` is ``policy`` when
    ``node`` names a policy.
    """

    def __init__(
        self, reason: str, *, file: str | None = None, node: str | None = None, what: str = "node"
    ) -> None:
        self.reason = reason
        self.file = file
        self.node = node
        # "node" for a node template, "policy" for a policy.
        self.what = what
        super().__init__(_render(reason, file=file, node=node, what=what))


class CsarError(VnfdError):
    """The archive itself is unusable (not a zip, unsafe entries, bad TOSCA.meta...)."""


def _render(reason: str, *, file: str | None, node: str | None, what: str) -> str:
    prefix = ""
    if file:
        prefix += f"{file}: "
    if node:
        prefix += f"{what} {node}: "
    return prefix + reason

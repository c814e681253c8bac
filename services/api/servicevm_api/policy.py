"""Authorization: one oslo.policy rule per API action, defaults in code, overridable by file.

Defaults: an admin may do anything; a member of the owning project may read and write its
project's resources; a reader may only read. An operator's policy file (yaml or json, oslo.policy
syntax, ``SERVICEVM_POLICY_FILE``) replaces any rule by name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from oslo_config import cfg
from oslo_policy import policy

# "Is this caller an admin", for seeing every project's resources; overridable like the rest.
CONTEXT_IS_ADMIN = "context_is_admin"

BASE_RULES = [
    policy.RuleDefault(CONTEXT_IS_ADMIN, "role:admin", "Sees and manages every project."),
    policy.RuleDefault("admin", "rule:context_is_admin"),
    policy.RuleDefault("project_member", "role:member and project_id:%(project_id)s"),
    policy.RuleDefault(
        "project_reader", "(role:reader or role:member) and project_id:%(project_id)s"
    ),
    policy.RuleDefault("admin_or_member", "rule:admin or rule:project_member"),
    policy.RuleDefault("admin_or_reader", "rule:admin or rule:project_reader"),
]

Verb = Literal["create", "get", "get_all", "update", "delete", "upload", "fetch", "task", "action"]
READS: tuple[Verb, ...] = ("get", "get_all")
WRITES: tuple[Verb, ...] = ("create", "update", "delete")
# A VNF package's content: uploading it is a write, fetching it (package, VNFD, artifacts)
# a read.
UPLOAD: Verb = "upload"
FETCH: Verb = "fetch"
# An LCM task on a VNF instance (instantiate, scale, ...) and an action on an op occ
# (retry, rollback, fail, cancel): writes.
TASK: Verb = "task"
ACTION: Verb = "action"
RATE_LIMITED: tuple[Verb, ...] = (*WRITES, UPLOAD, TASK, ACTION)

# Resource -> the actions its routes perform.
RESOURCES: dict[str, tuple[Verb, ...]] = {
    "device_template": READS + WRITES,
    "device": READS + WRITES,
    "vim": READS + WRITES,
    "service_instance": READS + WRITES,
    "service_type": READS,
    "topology": ("get",),
    "subscription": ("create", "get", "get_all", "delete"),
    "lccn_subscription": ("create", "get", "get_all", "delete"),
    "vnf_package": (*READS, *WRITES, UPLOAD, FETCH),
    "vnf_instance": (*READS, *WRITES, TASK),
    "vnf_lcm_op_occ": (*READS, ACTION),
}
# A subscription to every project's notifications (all_projects): admins only by default.
SUBSCRIPTION_ALL_PROJECTS = "servicevm:subscription:all_projects"
# Re-sending a SOL003 subscription's given-up notifications: admins only by default.
LCCN_REDELIVER = "servicevm:lccn_subscription:redeliver"


def action(resource: str, verb: Verb) -> str:
    return f"servicevm:{resource}:{verb}"


def _action_rules() -> list[policy.RuleDefault]:
    rules: list[policy.RuleDefault] = []
    for resource, verbs in RESOURCES.items():
        for verb in verbs:
            readonly = verb in READS or verb == FETCH
            default = "rule:admin_or_reader" if readonly else "rule:admin_or_member"
            rules.append(
                policy.RuleDefault(
                    action(resource, verb),
                    default,
                    f"{verb} {resource.replace('_', ' ')}(s)",
                )
            )
    return rules


def list_rules() -> list[policy.RuleDefault]:
    """Every rule, for ``oslopolicy-sample-generator`` style listings and for the enforcer."""
    return [
        *BASE_RULES,
        *_action_rules(),
        policy.RuleDefault(
            SUBSCRIPTION_ALL_PROJECTS,
            "rule:admin",
            "subscribe to the notifications of every project",
        ),
        policy.RuleDefault(
            LCCN_REDELIVER,
            "rule:admin",
            "re-send the notifications a SOL003 subscription's callback never took",
        ),
    ]


def make_enforcer(
    policy_file: str = "", *, clock: Callable[[], float] = time.monotonic
) -> policy.Enforcer:
    """An enforcer with the rules in code, overridden by ``policy_file`` when one is given."""
    if policy_file and not Path(policy_file).is_file():
        raise RuntimeError(f"policy file {policy_file} does not exist")
    conf = cfg.ConfigOpts()
    conf([], project="servicevm", default_config_files=[], default_config_dirs=[])
    enforcer = RememberingEnforcer(conf, policy_file=policy_file or None, clock=clock)
    enforcer.register_defaults(list_rules())
    enforcer.load_rules()
    return enforcer


# How long a decision is remembered: a changed policy file takes effect within this time.
DECISIONS_KEPT_SECONDS = 1.0
# Bound on the decisions remembered at once (callers x rules); past it they are forgotten.
MAX_DECISIONS = 10_000


class RememberingEnforcer(policy.Enforcer):
    """oslo.policy's enforcer, its decisions remembered for a second.

    Every ``enforce`` of oslo.policy looks for the policy file again (a search of the
    config directories, stat calls) and walks the rule's checks, inspecting each one's
    signature: two of them per request cost more CPU than the api's own work on a GET. A
    decision depends only on the rule, the target and the credentials (one caller asks the
    same questions request after request), and the rules change only when the file does:
    so decisions are kept, and all forgotten each second, when oslo.policy next looks at
    the file."""

    def __init__(
        self, *args: Any, clock: Callable[[], float] = time.monotonic, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._decisions: dict[tuple[Any, ...], bool] = {}
        self._forget_at = 0.0

    def enforce(
        self,
        rule: Any,
        target: Any,
        creds: Any,
        do_raise: bool = False,
        exc: type[Exception] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        key = _decision_key(rule, target, creds) if not do_raise else None
        if key is None:
            return super().enforce(rule, target, creds, do_raise, exc, *args, **kwargs)
        now = self._clock()
        if now >= self._forget_at or len(self._decisions) >= MAX_DECISIONS:
            self._decisions.clear()
            self._forget_at = now + DECISIONS_KEPT_SECONDS
        decision = self._decisions.get(key)
        if decision is None:
            decision = bool(super().enforce(rule, target, creds))
            self._decisions[key] = decision
        return decision


def _decision_key(rule: Any, target: Any, creds: Any) -> tuple[Any, ...] | None:
    """A hashable form of a plain question (a rule's name, string-valued target, the
    credentials ``credentials`` makes); None for anything else, which is not remembered."""
    if not (isinstance(rule, str) and isinstance(target, Mapping) and isinstance(creds, Mapping)):
        return None
    frozen_creds = tuple(
        (name, tuple(value) if isinstance(value, list) else value) for name, value in creds.items()
    )
    key = (rule, tuple(target.items()), frozen_creds)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def credentials(project_id: str, roles: frozenset[str], user_id: str | None) -> dict[str, object]:
    return {"project_id": project_id, "roles": sorted(roles), "user_id": user_id}

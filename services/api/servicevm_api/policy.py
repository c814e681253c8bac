"""Authorization: one oslo.policy rule per API action, defaults in code, overridable by file.

Defaults: an admin may do anything; a member of the owning project may read and write its
project's resources; a reader may only read. An operator's policy file (yaml or json, oslo.policy
syntax, ``SERVICEVM_POLICY_FILE``) replaces any rule by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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


def make_enforcer(policy_file: str = "") -> policy.Enforcer:
    """An enforcer with the rules in code, overridden by ``policy_file`` when one is given."""
    if policy_file and not Path(policy_file).is_file():
        raise RuntimeError(f"policy file {policy_file} does not exist")
    conf = cfg.ConfigOpts()
    conf([], project="servicevm", default_config_files=[], default_config_dirs=[])
    enforcer = policy.Enforcer(conf, policy_file=policy_file or None)
    enforcer.register_defaults(list_rules())
    enforcer.load_rules()
    return enforcer


def credentials(project_id: str, roles: frozenset[str], user_id: str | None) -> dict[str, object]:
    return {"project_id": project_id, "roles": sorted(roles), "user_id": user_id}

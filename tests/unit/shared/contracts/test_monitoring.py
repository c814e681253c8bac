"""The monitoring policy: parsed from an object or its JSON text, refused naming the field."""

from __future__ import annotations

import json

import pytest

from shared.contracts.monitoring import InvalidMonitoring, MonitoringPolicy, check

POLICY = {
    "monitors": [
        {"type": "ping", "interval": 2, "timeout": 1, "threshold": 2},
        {"type": "http", "path": "/health", "expected_status": 204},
    ],
    "action": "respawn",
}


def test_an_object_and_its_json_text_give_the_same_policy() -> None:
    assert MonitoringPolicy.parse(POLICY) == MonitoringPolicy.parse(json.dumps(POLICY))
    policy = MonitoringPolicy.parse(POLICY)
    ping = policy.monitor("ping")
    assert ping is not None and (ping.interval, ping.timeout, ping.threshold) == (2, 1, 2)
    http = policy.monitor("http")
    assert http is not None and http.expected_status == 204 and http.interval == 10
    assert policy.action == "respawn" and policy.respawn_limit == 3


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("{not json", "monitoring is not valid JSON"),
        ({"monitors": [{"type": "icmp"}]}, "monitoring.monitors.0.type"),
        ({"monitors": [{"type": "ping", "threshold": 0}]}, "monitoring.monitors.0.threshold"),
        ({"monitors": [{"type": "ping", "interval": 1, "timeout": 2}]}, "monitoring.monitors.0"),
        ({"monitors": [{"type": "http", "path": "health"}]}, "monitoring.monitors.0.path"),
        ({"action": "reboot"}, "monitoring.action"),
        ({"monitors": [{"type": "ping"}, {"type": "ping"}]}, "one monitor of each type"),
        ({"monitors": [], "colour": "red"}, "monitoring.colour"),
        ("[1, 2]", "monitoring"),
    ],
)
def test_an_unusable_policy_is_refused_naming_the_field(raw: object, named: str) -> None:
    with pytest.raises(InvalidMonitoring, match=named.replace(".", r"\.")):
        MonitoringPolicy.parse(raw)


def test_a_device_overrides_its_templates_policy_and_bad_values_read_as_none() -> None:
    template = {"monitoring": json.dumps(POLICY)}
    assert MonitoringPolicy.of(template, {}) == MonitoringPolicy.parse(POLICY)
    override = MonitoringPolicy.of(template, {"monitoring": {"action": "none"}})
    assert override is not None and override.monitors == [] and override.action == "none"
    assert MonitoringPolicy.of({}, {}) is None
    assert MonitoringPolicy.of({"monitoring": "{bad"}, {}) is None


def test_check_validates_the_template_and_the_device() -> None:
    check({"monitoring": json.dumps(POLICY)}, {"monitoring": POLICY})
    check({}, {})
    with pytest.raises(InvalidMonitoring):
        check({}, {"monitoring": {"action": "reboot"}})

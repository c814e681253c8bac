"""Every metric the Grafana dashboard and the Prometheus alert rules use is exported by a
service, and every metric a service exports is charted (names parsed from the PromQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
import yaml

import servicevm_api.bootstrap
import servicevm_lifecycle.bootstrap
import servicevm_mgmt.bootstrap
import servicevm_mgmt.monitoring.metrics  # the health monitor's Celery worker
import servicevm_scheduler.bootstrap

DEPLOY = Path(__file__).resolve().parents[4] / "deploy"
METRIC = re.compile(r"\bservicevm_[a-z0-9_]+\b")
# Prometheus's own series.
BUILTIN = {"up"}
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
}
SERVICES = (
    servicevm_api.bootstrap,
    servicevm_lifecycle.bootstrap,
    servicevm_mgmt.bootstrap,
    servicevm_scheduler.bootstrap,
    servicevm_mgmt.monitoring.metrics,
)


def exported() -> set[str]:
    """The series names of every metric the service modules register."""
    assert all(getattr(module, "DEFINITION", module) is not None for module in SERVICES)
    return {
        family.name + suffix
        for family in prometheus_client.REGISTRY.collect()
        if family.name.startswith("servicevm_")
        for suffix in SUFFIXES.get(family.type, ("",))
    }


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DEPLOY / "grafana/dashboards/servicevm.json").read_text())
    return loaded


def dashboard_exprs() -> list[str]:
    return [
        target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])
    ] + [var["query"]["query"] for var in dashboard()["templating"]["list"]]


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((DEPLOY / "prometheus-rules.yml").read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def used(exprs: list[str]) -> set[str]:
    return {name for expr in exprs for name in METRIC.findall(expr)}


@pytest.mark.parametrize("source", ["dashboard", "rules"])
def test_every_metric_used_is_exported(source: str) -> None:
    exprs = dashboard_exprs() if source == "dashboard" else [r["expr"] for r in rules()]
    names = used(exprs)
    assert names, source
    assert names - exported() == set()


def family(series: str) -> str:
    for suffix in ("_total", "_bucket", "_count", "_sum"):
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


def test_every_exported_metric_is_charted() -> None:
    families = {
        metric.name
        for metric in prometheus_client.REGISTRY.collect()
        if metric.name.startswith("servicevm_")
    }
    charted = {family(name) for name in used(dashboard_exprs())}
    assert families - charted == set()


def test_rules_are_complete_alerts_and_wired_in_prometheus() -> None:
    for rule in rules():
        assert {"alert", "expr", "labels", "annotations"} <= rule.keys(), rule
        assert rule["labels"]["severity"] in ("critical", "warning", "info")
        assert rule["annotations"]["summary"]
    alerts = {rule["alert"] for rule in rules()}
    assert {
        "ServicevmDeadDevices",
        "ServicevmDeadLetterGrowing",
        "ServicevmDeliveriesFailing",
        "ServicevmOutboxLag",
        "ServicevmVimUnreachable",
        "ServicevmStuckOperations",
    } <= alerts
    prometheus = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    mounts = compose["services"]["prometheus"]["volumes"]
    for rule_file in prometheus["rule_files"]:
        assert any(m.startswith("./prometheus-rules.yml:" + rule_file) for m in mounts), mounts


def test_dashboard_templating_by_service_and_template() -> None:
    variables = {var["name"] for var in dashboard()["templating"]["list"]}
    assert variables == {"service", "template"}
    exprs = dashboard_exprs()
    assert any('service=~"$service"' in expr for expr in exprs)
    assert any('template_id=~"$template"' in expr for expr in exprs)
    ids = [panel["id"] for panel in dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def test_exported_names_known_to_prometheus_but_not_servicevm_are_builtin() -> None:
    tokens = {
        token
        for rule in rules()
        for token in re.findall(r"\b([a-z_]+)\{", rule["expr"])
        if not token.startswith("servicevm_")
    }
    assert tokens <= BUILTIN

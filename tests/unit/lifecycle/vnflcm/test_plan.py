"""Plans: which device steps each LCM request makes, from the VNF and its flavour."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace

import pytest

from servicevm_lifecycle.vnflcm.domain import plan
from servicevm_lifecycle.vnflcm.domain.model import PlanError, Step, Vnf
from shared.contracts.vnflcm import VnfFlavourSpec
from tests.unit.lifecycle.vnflcm.conftest import with_workers


def actions(steps: tuple[Step, ...]) -> Counter[tuple[str, str, int]]:
    return Counter((s.action, s.vdu_id, s.wave) for s in steps)


def test_instantiate_creates_the_default_level_with_the_vdu_templates(
    spec: VnfFlavourSpec,
) -> None:
    empty = Vnf(id=uuid.uuid4(), tenant_id="p")
    planned = plan.instantiate(empty, spec, {"flavourId": "simple"})
    assert actions(planned.steps) == {("CREATE", "VDU1", 0): 1, ("CREATE", "VDU2", 0): 1}
    assert all(s.template_id == spec.vdu_templates[s.vdu_id] for s in planned.steps)
    assert all(s.adds_vnfc and s.status == "PENDING" for s in planned.steps)
    assert len({s.device_id for s in planned.steps} | {s.vnfc_id for s in planned.steps}) == 4
    assert planned.target.instantiation_state == "INSTANTIATED"
    assert planned.target.scale_status == {"worker_instance": 0}


def test_instantiate_at_a_named_level_and_refusals(spec: VnfFlavourSpec, vnf: Vnf) -> None:
    empty = Vnf(id=uuid.uuid4(), tenant_id="p")
    level = "instantiation_level_2"
    planned = plan.instantiate(empty, spec, {"instantiationLevelId": level})
    assert Counter(s.vdu_id for s in planned.steps) == spec.flavour.instances_at_level(level)
    with pytest.raises(PlanError, match="not in flavour"):
        plan.instantiate(empty, spec, {"instantiationLevelId": "nope"})
    with pytest.raises(PlanError, match="already INSTANTIATED"):
        plan.instantiate(vnf, spec, {})


def test_scale_out_adds_the_aspect_delta_and_scale_in_removes_the_newest(vnf: Vnf) -> None:
    out = plan.scale(vnf, {"type": "SCALE_OUT", "aspectId": "worker_instance"})
    assert actions(out.steps) == {("CREATE", "VDU2", 0): 1}
    assert out.target.scale_status == {"worker_instance": 1}

    scaled = with_workers(vnf, 2)
    newest = scaled.vnfcs[-1]
    step_in = plan.scale(
        scaled, {"type": "SCALE_IN", "aspectId": "worker_instance", "numberOfSteps": 1}
    )
    assert [(s.action, s.vnfc_id, s.device_id) for s in step_in.steps] == [
        ("DELETE", newest.id, newest.device_id)
    ]
    assert step_in.target.scale_status == {"worker_instance": 1}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 3}, "outside"),
        ({"type": "SCALE_IN", "aspectId": "worker_instance"}, "outside"),
        ({"type": "SCALE_OUT", "aspectId": "nope"}, "not in flavour"),
        ({"type": "SCALE_SIDEWAYS", "aspectId": "worker_instance"}, "SCALE_OUT or SCALE_IN"),
        ({"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 0}, "at least 1"),
    ],
)
def test_scale_refuses_what_the_flavour_does_not_allow(
    vnf: Vnf, params: dict[str, object], message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        plan.scale(vnf, params)


def test_scale_to_level_by_level_or_scale_info(vnf: Vnf, spec: VnfFlavourSpec) -> None:
    level = "instantiation_level_2"
    to_level = plan.scale_to_level(vnf, {"instantiationLevelId": level})
    wanted = spec.flavour.instances_at_level(level)
    assert Counter(s.vdu_id for s in to_level.steps if s.action == "CREATE") == {
        vdu: n - 1 for vdu, n in wanted.items() if n > 1
    }
    assert to_level.target.instantiation_level_id == level

    scaled = with_workers(vnf, 2)
    down = plan.scale_to_level(
        scaled, {"scaleInfo": [{"aspectId": "worker_instance", "scaleLevel": 0}]}
    )
    assert actions(down.steps) == {("DELETE", "VDU2", 0): 2}
    assert {s.vnfc_id for s in down.steps} == {v.id for v in scaled.vnfcs[-2:]}
    with pytest.raises(PlanError, match="needs"):
        plan.scale_to_level(vnf, {})


def test_heal_makes_a_new_device_before_deleting_the_old(vnf: Vnf) -> None:
    target = vnf.vnfcs[0]
    healed = plan.heal(vnf, {"vnfcInstanceId": [str(target.id)]})
    create, delete = healed.steps
    assert (create.action, create.wave, create.vnfc_id) == ("CREATE", 0, target.id)
    assert create.replaces == target.device_id and not create.adds_vnfc
    assert create.device_id != target.device_id
    assert (delete.action, delete.wave, delete.device_id) == ("DELETE", 1, target.device_id)
    assert len(plan.heal(vnf, {}).steps) == 2 * len(vnf.vnfcs)  # all of them
    with pytest.raises(PlanError, match="not in VNF instance"):
        plan.heal(vnf, {"vnfcInstanceId": [str(uuid.uuid4())]})


def test_terminate_deletes_every_vnfc_graceful_stops_them_first(vnf: Vnf) -> None:
    forceful = plan.terminate(vnf, {"terminationType": "FORCEFUL"})
    assert {s.action for s in forceful.steps} == {"DELETE"}
    assert {s.device_id for s in forceful.steps} == {v.device_id for v in vnf.vnfcs}
    graceful = plan.terminate(vnf, {"terminationType": "GRACEFUL"})
    assert actions(graceful.steps) == {
        ("STOP", "VDU1", 0): 1,
        ("STOP", "VDU2", 0): 1,
        ("DELETE", "VDU1", 1): 1,
        ("DELETE", "VDU2", 1): 1,
    }
    assert all(s.best_effort for s in graceful.steps if s.action == "STOP")
    # Without a timeout the default (the caller's: the op's own deadline) applies.
    assert {s.graceful_seconds for s in graceful.steps if s.action == "STOP"} == {
        plan.DEFAULT_GRACEFUL_SECONDS
    }
    timed = plan.terminate(vnf, {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": 7})
    assert {s.graceful_seconds for s in timed.steps if s.action == "STOP"} == {7.0}
    assert {s.graceful_seconds for s in timed.steps if s.action == "DELETE"} == {None}
    assert forceful.target.instantiation_state == "NOT_INSTANTIATED"
    with pytest.raises(PlanError, match="not INSTANTIATED"):
        plan.terminate(Vnf(id=uuid.uuid4(), tenant_id="p"), {})


def test_operate_changes_only_the_vnfcs_not_in_that_state(vnf: Vnf) -> None:
    stopped = plan.operate(vnf, {"changeStateTo": "STOPPED"})
    assert {s.action for s in stopped.steps} == {"STOP"} and len(stopped.steps) == 2
    half = replace(vnf, vnfcs=(replace(vnf.vnfcs[0], power_state="STOPPED"), vnf.vnfcs[1]))
    started = plan.operate(half, {"changeStateTo": "STARTED"})
    assert [(s.action, s.vnfc_id) for s in started.steps] == [("START", vnf.vnfcs[0].id)]
    assert started.target.vnf_state == "STARTED"
    with pytest.raises(PlanError):
        plan.operate(vnf, {"changeStateTo": "PAUSED"})


def test_change_flavour_creates_the_new_vnfcs_then_deletes_the_old(
    vnf: Vnf, spec: VnfFlavourSpec
) -> None:
    other = spec.model_copy(update={"vdu_templates": {v: uuid.uuid4() for v in spec.vdu_templates}})
    changed = plan.change_flavour(vnf, other, {"newFlavourId": "simple"})
    creates = [s for s in changed.steps if s.action == "CREATE"]
    deletes = [s for s in changed.steps if s.action == "DELETE"]
    assert {s.template_id for s in creates} == set(other.vdu_templates.values())
    assert {s.wave for s in creates} == {0} and {s.wave for s in deletes} == {1}
    assert {s.device_id for s in deletes} == {v.device_id for v in vnf.vnfcs}
    assert changed.target.flavour == other


def test_change_ext_conn_updates_every_vnfc_device_keeping_the_old_kwargs(vnf: Vnf) -> None:
    links = [{"id": "ext1", "resourceId": "net-1"}]
    old = {v.device_id: {"vnfc_id": str(v.id)} for v in vnf.vnfcs}
    changed = plan.change_ext_conn(vnf, {"extVirtualLinks": links}, old)
    for step in changed.steps:
        assert step.action == "UPDATE"
        assert step.kwargs == {**old[step.device_id], "ext_virtual_links": links}
        assert step.undo_kwargs == old[step.device_id]
    assert changed.target.ext_virtual_links == links


def test_modify_info_pushes_the_configurable_properties_to_every_vnfc(vnf: Vnf) -> None:
    properties = {"is_autoheal_enabled": True}
    old = {v.device_id: {"vnfc_id": str(v.id)} for v in vnf.vnfcs}
    changed = plan.modify_info(vnf, {"vnfConfigurableProperties": properties}, old)
    assert sorted(s.device_id for s in changed.steps) == sorted(v.device_id for v in vnf.vnfcs)
    for step in changed.steps:
        assert step.action == "UPDATE"
        assert step.kwargs == {**old[step.device_id], "vnf_configurable_properties": properties}
        assert step.undo_kwargs == old[step.device_id]


def test_modify_info_of_the_record_alone_has_no_step(vnf: Vnf) -> None:
    assert plan.modify_info(vnf, {"vnfInstanceName": "x"}, {}).steps == ()


def test_operate_stop_is_graceful_only_when_asked(vnf: Vnf) -> None:
    forceful = plan.operate(vnf, {"changeStateTo": "STOPPED"})
    assert {s.graceful_seconds for s in forceful.steps} == {None}
    graceful = plan.operate(
        vnf, {"changeStateTo": "STOPPED", "stopType": "GRACEFUL", "gracefulStopTimeout": 9}
    )
    assert {(s.action, s.graceful_seconds) for s in graceful.steps} == {("STOP", 9.0)}
    with pytest.raises(PlanError, match="gracefulStopTimeout"):
        plan.operate(
            vnf, {"changeStateTo": "STOPPED", "stopType": "GRACEFUL", "gracefulStopTimeout": "x"}
        )

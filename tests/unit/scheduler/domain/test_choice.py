"""Which devices may host an instance and which one is preferred (the rule the SQL pick
implements), and why a named device is refused."""

from __future__ import annotations

import uuid

from servicevm_scheduler.domain import choice
from servicevm_scheduler.domain.choice import Pick
from servicevm_scheduler.domain.projection import Device, Template
from shared.contracts.statuses import DeviceStatus
from shared.contracts.template_policy import TemplatePolicy
from tests.unit.scheduler.builders import instance

TEMPLATE = uuid.uuid4()


def _device(used: int, *, capacity: int = 4, **changes: object) -> Device:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "tenant_id": "owner",
        "template_id": TEMPLATE,
        "status": DeviceStatus.ACTIVE,
        "slot_capacity": capacity,
        "slots_used": used,
        "host": "h1",
    }
    values.update(changes)
    return Device(**values)  # type: ignore[arg-type]


def _pick(**changes: object) -> Pick:
    values: dict[str, object] = {
        "template_id": TEMPLATE,
        "slots": 1,
        "tenant_id": "p",
        "policy": TemplatePolicy(slot_capacity=4),
    }
    values.update(changes)
    return Pick(**values)  # type: ignore[arg-type]


def test_pack_prefers_the_fullest_device_and_spread_the_emptiest() -> None:
    empty, half, full = _device(0), _device(2), _device(4)
    devices = [empty, half, full]
    assert choice.best(devices, _pick()) == half
    assert (
        choice.best(devices, _pick(policy=TemplatePolicy(slot_capacity=4, placement="spread")))
        == empty
    )


def test_ties_go_to_the_lowest_id() -> None:
    first, second = sorted((_device(1), _device(1)), key=lambda d: d.id)
    assert choice.best([second, first], _pick()) == first


def test_a_device_fits_only_if_active_of_the_template_with_room() -> None:
    assert choice.fits(_device(2), _pick(slots=2))
    assert not choice.fits(_device(3), _pick(slots=2))
    assert not choice.fits(_device(0, status=DeviceStatus.PENDING_CREATE), _pick())
    assert not choice.fits(_device(0, template_id=uuid.uuid4()), _pick())
    excluded = _device(0)
    assert not choice.fits(excluded, _pick(exclude_devices=[excluded.id]))


def test_tenant_bound_devices_take_only_their_project() -> None:
    bound = TemplatePolicy(slot_capacity=4, tenant_bound=True)
    assert choice.fits(_device(1, bound_tenant="p"), _pick(policy=bound))
    assert choice.fits(_device(0), _pick(policy=bound))
    assert not choice.fits(_device(1, bound_tenant="other"), _pick(policy=bound))
    assert choice.fits(_device(1, bound_tenant="other"), _pick())  # only when tenant_bound


def test_anti_affinity_rules_out_used_and_unknown_hosts() -> None:
    assert choice.fits(_device(0, host="h2"), _pick(exclude_hosts=["h1"]))
    assert not choice.fits(_device(0, host="h1"), _pick(exclude_hosts=["h1"]))
    assert not choice.fits(_device(0, host=None), _pick(exclude_hosts=[]))
    assert choice.fits(_device(0, host=None), _pick())


def test_requested_device_refusals_name_the_reason() -> None:
    policy = TemplatePolicy(slot_capacity=4, tenant_bound=True)
    wanted = instance(uuid.uuid4(), tenant_id="p")

    def refusal(device: Device, offered: bool = True) -> str | None:
        return choice.requested_refusal(
            device, wanted, service_type="firewall", offered=offered, policy=policy
        )

    assert refusal(_device(0)) is None
    assert "does not offer service type firewall" in (refusal(_device(0), offered=False) or "")
    assert "is ERROR, not ACTIVE" in (refusal(_device(0, status=DeviceStatus.ERROR)) or "")
    assert "has 0 free slot(s)" in (refusal(_device(4)) or "")
    assert "bound to another project" in (refusal(_device(0, bound_tenant="q")) or "")


def test_ha_needs_known_distinct_hosts() -> None:
    assert choice.ha_host_refusal(_device(0, host="h1"), {"h2"}) is None
    assert choice.ha_host_refusal(_device(0, host="h1"), {"h1"}) is not None
    assert choice.ha_host_refusal(_device(0, host=None), set()) is not None


def test_oversized_service_type_is_refused_once_and_for_all() -> None:
    template = Template(
        TEMPLATE, "owner", TemplatePolicy(slot_capacity=2, service_slots={"vpn": 3})
    )
    assert choice.oversized(template, "firewall") is None
    assert "needs 3 slot(s)" in (choice.oversized(template, "vpn") or "")

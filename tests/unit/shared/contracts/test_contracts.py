"""Every message round-trips through its envelope; unknown or newer messages are refused."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from shared.contracts import commands, events, vnflcm
from shared.contracts.envelope import Envelope, Message
from shared.contracts.models import (
    DeviceSnapshot,
    DeviceTemplateSnapshot,
    LccnSubscriptionSpec,
    ServiceContext,
    ServiceInstanceSnapshot,
    ServiceTypeRef,
    SubscriptionSpec,
    VimSpec,
)
from shared.contracts.registry import MESSAGE_TYPES, UnknownMessage, parse_payload
from shared.contracts.vnfpkgm import OnboardVnfPackage
from tests.support.snapshots import device_snapshot

TEMPLATE = DeviceTemplateSnapshot(
    id=uuid.uuid4(),
    tenant_id="p",
    name="n",
    description="",
    device_driver="noop",
    mgmt_driver="noop",
    service_types=[ServiceTypeRef(id=uuid.uuid4(), service_type="firewall")],
    attributes={"k": "v"},
)
DEVICE = device_snapshot(
    template_id=TEMPLATE.id,
    service_contexts=[ServiceContext(role="management")],
    revision=2,
    host="compute-1",
    availability_zone="az-1",
)
INSTANCE = ServiceInstanceSnapshot(
    id=uuid.uuid4(),
    tenant_id="p",
    name="fw",
    service_type_id=TEMPLATE.service_types[0].id,
    service_table_id=None,
    mgmt_driver=None,
    mgmt_address=None,
    service_contexts=[],
    devices=[DEVICE.id],
    kwargs={"ha": False},
    managed_by_user=True,
    status="ACTIVE",
    error_reason=None,
    revision=3,
)
VIM_ID = uuid.uuid4()
SAMPLES: list[Message] = [
    commands.CreateDeviceTemplate(**TEMPLATE.model_dump()),
    commands.UpdateDeviceTemplate(id=TEMPLATE.id, name="m", description="d"),
    commands.DeleteDeviceTemplate(id=TEMPLATE.id),
    commands.CreateDevice(
        id=DEVICE.id, tenant_id="p", template_id=TEMPLATE.id, kwargs={"a": [1]}, service_contexts=[]
    ),
    commands.UpdateDevice(id=DEVICE.id, kwargs={}),
    commands.DeleteDevice(id=DEVICE.id),
    events.DeviceTemplateCreated(template=TEMPLATE),
    events.DeviceTemplateUpdated(template=TEMPLATE),
    events.DeviceTemplateDeleted(template=TEMPLATE),
    events.DeviceStatusChanged(device=DEVICE, previous_status="PENDING_CREATE"),
    events.DeviceDeleted(device=DEVICE, previous_status="PENDING_DELETE"),
    events.DeviceSpawned(
        device_id=DEVICE.id,
        tenant_id="p",
        operation="create",
        mgmt_driver="noop",
        mgmt_address=None,
        template_attributes={},
        kwargs={},
    ),
    events.DeviceConfigured(device_id=DEVICE.id, operation="update", succeeded=False, reason="x"),
    commands.CreateServiceInstance(
        id=INSTANCE.id,
        tenant_id="p",
        name="fw",
        service_type_id=INSTANCE.service_type_id,
        service_table_id="table-1",
        mgmt_driver=None,
        mgmt_address=None,
        service_contexts=[],
        devices=[DEVICE.id],
        kwargs={},
        managed_by_user=False,
    ),
    commands.UpdateServiceInstance(id=INSTANCE.id, name="fw2", kwargs={"rules": []}),
    commands.DeleteServiceInstance(id=INSTANCE.id),
    events.ServiceInstanceStatusChanged(instance=INSTANCE, previous_status="PENDING_CREATE"),
    events.ServiceInstanceDeleted(instance=INSTANCE, previous_status="PENDING_DELETE"),
    events.ServiceInstancePlaced(
        instance_id=INSTANCE.id,
        tenant_id="p",
        operation="create",
        mgmt_driver=None,
        devices=[DEVICE.id],
        configuration={"name": "fw"},
    ),
    events.ServiceInstanceReleasing(
        instance_id=INSTANCE.id, tenant_id="p", mgmt_driver="noop", devices=[DEVICE.id]
    ),
    events.ServiceInstanceConfigured(instance_id=INSTANCE.id, operation="create", succeeded=True),
    events.ServiceInstanceUnconfigured(instance_id=INSTANCE.id, succeeded=False, reason="x"),
    events.DeviceCapacityChanged(
        device_id=DEVICE.id,
        tenant_id="p",
        template_id=TEMPLATE.id,
        slot_capacity=4,
        slots_used=1,
        services=[INSTANCE.id],
        capacity_revision=1,
    ),
    commands.RegisterVim(
        id=VIM_ID,
        vim=VimSpec(
            tenant_id="p",
            name="cloud",
            description="",
            type="openstack",
            auth_url="https://keystone.example.com/v3",
            region_name="RegionOne",
            project_name=None,
            project_domain_name=None,
            project_id=None,
            user_name=None,
            user_domain_name=None,
            application_credential_id="ac",
            encrypted_secret="gAAAA-a-fernet-token",
            is_default=True,
        ),
    ),
    commands.UpdateVim(id=VIM_ID, name="cloud", description="", is_default=False),
    commands.DeleteVim(id=VIM_ID),
    commands.CreateSubscription(
        id=VIM_ID,
        subscription=SubscriptionSpec(
            tenant_id="p",
            callback_uri="https://nfvo.example.com/notify",
            event_types=["device.*"],
            resource_types=[],
            all_projects=False,
            auth_type="hmac",
            encrypted_secret="gAAAA-a-fernet-token",
        ),
    ),
    commands.DeleteSubscription(id=VIM_ID),
    commands.CreateLccnSubscription(
        id=VIM_ID,
        subscription=LccnSubscriptionSpec(
            tenant_id="p",
            callback_uri="https://nfvo.example.com/notify",
            lccn_filter={"operationTypes": ["INSTANTIATE"]},
            auth_type="oauth2",
            auth_username="client",
            encrypted_secret="gAAAA-a-fernet-token",
            token_endpoint="https://nfvo.example.com/token",
        ),
    ),
    commands.RedeliverNotifications(id=VIM_ID),
    events.SubscriptionDeliveryStateChanged(
        subscription_id=VIM_ID,
        tenant_id="p",
        pending=2,
        undeliverable=1,
        oldest_undelivered_at=None,
        last_error="the callback answered 503",
        revision=3,
    ),
    events.VimStatusChanged(
        vim_id=VIM_ID,
        tenant_id="p",
        status="UNREACHABLE",
        status_reason="authentication failed (HTTP 401)",
        revision=2,
    ),
    OnboardVnfPackage(id=VIM_ID, upload=1),
    events.DeviceHealthChanged(
        device_id=DEVICE.id, tenant_id="p", healthy=False, monitor="ping", last_error="refused"
    ),
    events.DeviceLost(device=DEVICE, reason="health monitor ping failed: refused"),
    events.DeviceMonitorsReported(
        device_id=DEVICE.id,
        tenant_id="p",
        healthy=True,
        monitors=[
            events.MonitorReport(
                monitor="http", last_probe_at=None, ok=True, consecutive_failures=0, healthy=True
            )
        ],
    ),
]


SPAWNED = events.DeviceSpawned(
    device_id=DEVICE.id,
    tenant_id="p",
    operation="create",
    mgmt_driver="noop",
    mgmt_address=None,
    template_attributes={"k": "v"},
    kwargs={"a": 1},
    configure=False,
)
SAMPLES.append(
    events.DeviceStatusChanged(device=DEVICE, previous_status="PENDING_CREATE", spawned=SPAWNED)
)
# A create by an in-process driver: both of its states in one message.
CREATED = DEVICE.model_copy(update={"status": "PENDING_CREATE", "revision": 1})
SAMPLES.append(
    events.DeviceStatusChanged(
        device=DEVICE, previous_status=None, passed=[CREATED], spawned=SPAWNED
    )
)


def test_every_registered_type_has_a_sample() -> None:
    # The VNF LCM messages have their samples in test_vnflcm_contracts.
    vnflcm_types = {
        model.TYPE for model in MESSAGE_TYPES.values() if model.__module__ == vnflcm.__name__
    }
    assert {sample.TYPE for sample in SAMPLES} == set(MESSAGE_TYPES) - vnflcm_types


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: m.TYPE)
def test_round_trip_through_json(message: Message) -> None:
    envelope = Envelope.wrap(message, correlation_id="req-1", tenant_id="p", producer="test")
    received = Envelope.model_validate_json(envelope.model_dump_json())
    assert received.subject_id in {str(TEMPLATE.id), str(DEVICE.id), str(INSTANCE.id), str(VIM_ID)}
    assert parse_payload(received) == message


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: m.TYPE)
def test_the_publishers_json_is_the_envelope_wrap_makes(message: Message) -> None:
    """``wrap_json`` (what the outbox stores) writes the envelope ``wrap`` would, with the
    payload serialized once: the same fields, the same payload."""
    message_id, body = Envelope.wrap_json(
        message, correlation_id="req-1", tenant_id="p", producer="test"
    )
    received = Envelope.model_validate_json(body)
    expected = Envelope.wrap(message, correlation_id="req-1", tenant_id="p", producer="test")
    assert received.message_id == message_id
    assert received.model_dump(exclude={"message_id", "timestamp"}) == expected.model_dump(
        exclude={"message_id", "timestamp"}
    )
    assert abs((received.timestamp - expected.timestamp).total_seconds()) < 5
    assert parse_payload(received) == message


def test_unknown_type_and_other_version_are_refused() -> None:
    envelope = Envelope.wrap(SAMPLES[0], correlation_id="req-1", tenant_id="p", producer="test")
    with pytest.raises(UnknownMessage, match="unknown message type"):
        parse_payload(envelope.model_copy(update={"type": "lifecycle.reboot"}))
    with pytest.raises(UnknownMessage, match="version 2"):
        parse_payload(envelope.model_copy(update={"version": 2}))


def test_extra_fields_are_rejected() -> None:
    envelope = Envelope.wrap(SAMPLES[2], correlation_id="req-1", tenant_id="p", producer="test")
    tampered = envelope.model_copy(update={"payload": {**envelope.payload, "force": True}})
    with pytest.raises(ValidationError):
        parse_payload(tampered)
    with pytest.raises(ValidationError):
        Envelope.model_validate({**envelope.model_dump(), "extra": 1})


def test_device_messages_depend_on_their_template() -> None:
    for message in (SAMPLES[3], SAMPLES[9], SAMPLES[10]):
        envelope = Envelope.wrap(message, correlation_id="req-1", tenant_id="p", producer="test")
        assert envelope.depends_on == [str(TEMPLATE.id)], message.TYPE
    assert (
        Envelope.wrap(SAMPLES[0], correlation_id="r", tenant_id="p", producer="t").depends_on == []
    )


def test_a_device_or_template_naming_a_vim_waits_for_the_vims_messages() -> None:
    device = commands.CreateDevice(
        id=DEVICE.id,
        tenant_id="p",
        template_id=TEMPLATE.id,
        kwargs={},
        service_contexts=[],
        vim_id=VIM_ID,
    )
    assert device.depends_on == (str(TEMPLATE.id), str(VIM_ID))
    template = commands.CreateDeviceTemplate(**{**TEMPLATE.model_dump(), "vim_id": VIM_ID})
    assert template.depends_on == (str(VIM_ID),)


def test_a_vim_registration_carries_no_plaintext_secret() -> None:
    assert not {"password", "application_credential_secret"} & set(VimSpec.model_fields)


def test_a_status_change_without_a_spawned_device_is_sent_as_before() -> None:
    # Consumers of an older contract (extra="forbid") still read every other status change.
    change = events.DeviceStatusChanged(device=DEVICE, previous_status="PENDING_CREATE")
    envelope = Envelope.wrap(change, correlation_id="req-1", tenant_id="p", producer="test")
    assert set(envelope.payload) == {"device", "previous_status"}
    assert "spawned" not in change.model_dump_json()


@pytest.mark.parametrize(
    "changes",
    [{"operation": "update"}, {"operation": "respawn"}, {"configure": True}, {"device_id": VIM_ID}],
    ids=["update", "respawn", "to-configure", "another-device"],
)
def test_only_a_create_with_nothing_to_configure_rides_on_a_status_change(
    changes: dict[str, object],
) -> None:
    # mgmt records a spawned device carried this way without its lease: only a new
    # device's is safe so (its handler), and configuring must go through device.spawned.
    with pytest.raises(ValidationError, match="spawned"):
        events.DeviceStatusChanged(
            device=DEVICE,
            previous_status="PENDING_CREATE",
            spawned=SPAWNED.model_copy(update=changes),
        )


def test_a_create_in_one_message_names_each_change_and_adds_the_device() -> None:
    change = events.DeviceStatusChanged(device=DEVICE, previous_status=None, passed=[CREATED])
    assert [(state.status, was) for state, was in change.changes()] == [
        ("PENDING_CREATE", None),
        (DEVICE.status, "PENDING_CREATE"),
    ]
    assert change.first == CREATED  # the projections add the device from this message
    alone = events.DeviceStatusChanged(device=DEVICE, previous_status="PENDING_CREATE")
    assert alone.first == DEVICE
    assert [(state.status, was) for state, was in alone.changes()] == [
        (DEVICE.status, "PENDING_CREATE")
    ]
    assert "passed" not in alone.model_dump_json()  # as before for every other change


@pytest.mark.parametrize(
    "passed",
    [
        [CREATED.model_copy(update={"id": VIM_ID})],
        [CREATED.model_copy(update={"revision": DEVICE.revision})],
        [CREATED, CREATED],
    ],
    ids=["another-device", "not-older", "twice"],
)
def test_passed_states_lead_to_the_device(passed: list[DeviceSnapshot]) -> None:
    with pytest.raises(ValidationError, match="passed"):
        events.DeviceStatusChanged(device=DEVICE, previous_status=None, passed=passed)


# A service instance placed and made ACTIVE in one transaction (its driver configures nothing).
INSTANCE_PLACED = INSTANCE.model_copy(update={"status": "PENDING_CREATE", "revision": 2})
PLACEMENT = events.ServiceInstancePlaced(
    instance_id=INSTANCE.id,
    tenant_id="p",
    operation="create",
    mgmt_driver=None,
    devices=[DEVICE.id],
    configuration={"id": str(INSTANCE.id)},
)


def test_an_instance_made_active_where_placed_names_each_change_and_its_placement() -> None:
    change = events.ServiceInstanceStatusChanged(
        instance=INSTANCE, previous_status=None, passed=[INSTANCE_PLACED], placed=PLACEMENT
    )
    assert [(state.status, was) for state, was in change.changes()] == [
        ("PENDING_CREATE", None),
        ("ACTIVE", "PENDING_CREATE"),
    ]
    assert change.first == INSTANCE_PLACED
    parsed = events.ServiceInstanceStatusChanged.model_validate_json(change.model_dump_json())
    assert parsed == change
    alone = events.ServiceInstanceStatusChanged(instance=INSTANCE, previous_status="ACTIVE")
    dumped = alone.model_dump_json()
    assert "passed" not in dumped and "placed" not in dumped  # as before for every other change


@pytest.mark.parametrize(
    ("passed", "placed"),
    [
        ([INSTANCE_PLACED.model_copy(update={"id": VIM_ID})], None),
        ([INSTANCE_PLACED.model_copy(update={"revision": INSTANCE.revision})], None),
        ([], PLACEMENT.model_copy(update={"instance_id": VIM_ID})),
        ([], PLACEMENT.model_copy(update={"operation": "respawn"})),
        ([], PLACEMENT.model_copy(update={"devices": []})),
    ],
    ids=["another-instance", "not-older", "placement-of-another", "a-respawn", "other-devices"],
)
def test_an_instance_change_holds_only_its_own_earlier_states_and_placement(
    passed: list[ServiceInstanceSnapshot], placed: events.ServiceInstancePlaced | None
) -> None:
    with pytest.raises(ValidationError, match=r"passed|placed"):
        events.ServiceInstanceStatusChanged(
            instance=INSTANCE, previous_status=None, passed=passed, placed=placed
        )


def test_only_an_active_instance_carries_its_placement() -> None:
    with pytest.raises(ValidationError, match="placed"):
        events.ServiceInstanceStatusChanged(
            instance=INSTANCE_PLACED, previous_status=None, placed=PLACEMENT
        )

"""SOL003 subscriptions and notifications (/vnflcm/v1/subscriptions), delivered by mgmt to
subscriber processes the test runs: the callback test, duplicates, filters, the order and
shape of an instantiate's notifications, BASIC and OAuth2 subscribers, a subscriber that
was down, mgmt killed mid-delivery, and an admin re-sending what was given up."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from shared.contracts import sol003
from shared.contracts.notifications import project_routing_key
from shared.devstack import Suite, isolated_settings
from shared.messaging.topology import PROJECT_NOTIFICATIONS
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.cli import Cli
from tests.support.environment import SECOND_MGMT_PORT, TEST_ENV
from tests.support.secrets import remember
from tests.support.subscriber import Subscriber
from tests.support.vnflcm_api import INSTANCES, create_vnf, onboard_noop, run, task, wait_op

SUBSCRIPTIONS = "/vnflcm/v1/subscriptions"
PASSWORD = remember(f"lccn-pw-{uuid.uuid4().hex}")
CLIENT_SECRET = remember(f"lccn-client-{uuid.uuid4().hex}")
OP = "VnfLcmOperationOccurrenceNotification"
CREATED, DELETED = "VnfIdentifierCreationNotification", "VnfIdentifierDeletionNotification"
LIFE: list[tuple[str | None, ...]] = [
    (CREATED, None),
    (OP, "START", "STARTING"),
    (OP, "RESULT", "PROCESSING"),
    (OP, "RESULT", "COMPLETED"),
]


@pytest.fixture
def subscriber(tmp_path: Path) -> Iterator[Subscriber]:
    running = Subscriber(tmp_path / "plain.jsonl")
    running.start()
    yield running
    running.stop()


def subscribe(api: Api, callback: str, **fields: Any) -> dict[str, Any]:
    response = api.post(SUBSCRIPTIONS, {"callbackUri": callback, **fields})
    assert response.status_code == 201, response.text
    assert PASSWORD not in response.text and CLIENT_SECRET not in response.text
    body: dict[str, Any] = response.json()
    assert response.headers["Location"].endswith(f"{SUBSCRIPTIONS}/{body['id']}")
    return body


def kinds(notifications: list[dict[str, Any]]) -> list[tuple[str | None, ...]]:
    return [
        (n["notificationType"], n["notificationStatus"], n["operationState"])
        if n["notificationType"] == OP
        else (n["notificationType"], None)
        for n in notifications
    ]


def instantiate(api: Api, vnf_id: str) -> None:
    run(api, vnf_id, "instantiate", {"flavourId": "simple"}, lambda v: True)


def terminate(api: Api, vnf_id: str) -> None:
    wait_op(api, task(api, vnf_id, "terminate", {"terminationType": "FORCEFUL"}), "COMPLETED")


def delivered_in_order(got: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each notification once, as first received; a duplicate must be a repeat of one
    already received (same id, same body)."""
    seen: dict[str, dict[str, Any]] = {}
    for note in got:
        if note["id"] in seen:
            assert seen[note["id"]] == note
        seen.setdefault(note["id"], note)
    return list(seen.values())


def test_the_callback_is_tested_and_an_identical_subscription_is_see_other(
    api: Api, subscriber: Subscriber, tmp_path: Path
) -> None:
    down = Subscriber(tmp_path / "down.jsonl")
    refused = api.post(SUBSCRIPTIONS, {"callbackUri": down.url})
    assert refused.status_code == 422, refused.text
    assert "did not answer the test GET" in refused.json()["detail"]

    locked = Subscriber(tmp_path / "locked.jsonl", basic=f"nfvo:{PASSWORD}")
    locked.start()
    try:
        wrong = {"authType": ["BASIC"], "paramsBasic": {"userName": "nfvo", "password": "no"}}
        answered = api.post(SUBSCRIPTIONS, {"callbackUri": locked.url, "authentication": wrong})
    finally:
        locked.stop()
    assert answered.status_code == 422, answered.text
    assert "answered the test GET with 401" in answered.json()["detail"]

    wanted = {"notificationTypes": [OP], "operationStates": ["COMPLETED"]}
    made = subscribe(api, subscriber.url, filter=wanted)
    assert [r["method"] for r in subscriber.requests()] == ["GET"]
    assert made["filter"] == wanted and made["callbackUri"] == subscriber.url
    again = api.post(SUBSCRIPTIONS, {"callbackUri": subscriber.url, "filter": wanted})
    assert again.status_code == 303, again.text
    assert again.headers["Location"] == made["_links"]["self"]["href"]
    assert api.get(f"{SUBSCRIPTIONS}/{made['id']}").json()["id"] == made["id"]
    listed = api.get(SUBSCRIPTIONS, filter=f"(eq,callbackUri,{subscriber.url})")
    assert [s["id"] for s in listed.json()] == [made["id"]]
    other = api.as_project(f"other-{uuid.uuid4().hex[:8]}")
    assert other.get(f"{SUBSCRIPTIONS}/{made['id']}").status_code == 404
    assert api.delete(f"{SUBSCRIPTIONS}/{made['id']}").status_code == 204
    assert api.get(f"{SUBSCRIPTIONS}/{made['id']}").status_code == 404


def test_instantiate_notifies_start_processing_completed_in_order_in_the_sol003_shapes(
    api: Api, subscriber: Subscriber
) -> None:
    made = subscribe(api, subscriber.url)
    package = onboard_noop(api)
    vnf = create_vnf(api, package["vnfdId"])
    instantiate(api, vnf["id"])
    got = subscriber.wait_for(lambda got: len(got) >= 4)
    time.sleep(0.5)  # nothing more comes
    got = subscriber.notifications()
    assert kinds(got) == LIFE
    assert len({n["id"] for n in got}) == 4
    validators = {
        kind: jsonschema_rs.validator_for(sol003.json_schema(kind)) for kind in (OP, CREATED)
    }
    for note in got:
        validators[note["notificationType"]].validate(note)
        assert note["subscriptionId"] == made["id"] and note["vnfInstanceId"] == vnf["id"]
        assert note["_links"]["subscription"]["href"] == made["_links"]["self"]["href"]
        assert note["_links"]["vnfInstance"]["href"].endswith(f"{INSTANCES}/{vnf['id']}")
    start, processing, completed = got[1:]
    assert start["operation"] == "INSTANTIATE" and start["isAutomaticInvocation"] is False
    assert "affectedVnfcs" not in start
    assert {start["vnfLcmOpOccId"], completed["vnfLcmOpOccId"]} == {processing["vnfLcmOpOccId"]}
    assert completed["affectedVnfcs"] and {c["changeType"] for c in completed["affectedVnfcs"]} == {
        "ADDED"
    }


def test_filters_select_exactly_the_notifications_they_name(
    api: Api, subscriber: Subscriber
) -> None:
    package = onboard_noop(api)
    base = subscriber.url
    by_vnfd = {"vnfInstanceSubscriptionFilter": {"vnfdIds": [package["vnfdId"]]}}
    subscribe(api, f"{base}/vnfd", filter=by_vnfd)
    subscribe(api, f"{base}/other", filter={"vnfInstanceSubscriptionFilter": {"vnfdIds": ["x"]}})
    subscribe(api, f"{base}/terminate", filter={"operationTypes": ["TERMINATE"]})
    completed = {"notificationTypes": [OP], "operationStates": ["COMPLETED"]}
    subscribe(api, f"{base}/completed", filter=completed)
    renamed = {"vnfInstanceSubscriptionFilter": {"vnfInstanceNames": ["renamed"]}}
    subscribe(api, f"{base}/renamed", filter=renamed)
    vnf = create_vnf(api, package["vnfdId"], vnfInstanceName="first")
    instantiate(api, vnf["id"])
    # MODIFY_INFO: completed by the api at once; the name filter follows the new name.
    patched = api.http.patch(
        f"{INSTANCES}/{vnf['id']}",
        json={"vnfInstanceName": "renamed"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 202, patched.text
    terminate(api, vnf["id"])
    assert api.delete(f"{INSTANCES}/{vnf['id']}").status_code == 204

    def at(path: str) -> list[tuple[str | None, ...]]:
        bodies = [
            r["body"] for r in subscriber.requests() if r["method"] == "POST" and r["path"] == path
        ]
        return kinds(bodies)

    subscriber.wait_for(lambda got: len(at("/notify/vnfd")) >= 10)
    time.sleep(1.0)  # anything a filter let through by mistake has arrived by now
    ops = LIFE[1:]
    modify = [(OP, "START", "STARTING"), (OP, "RESULT", "COMPLETED")]
    assert at("/notify/vnfd") == [LIFE[0], *ops, *modify, *ops, (DELETED, None)]
    assert at("/notify/other") == []
    assert at("/notify/terminate") == [(CREATED, None), *ops, (DELETED, None)]
    assert at("/notify/completed") == [(OP, "RESULT", "COMPLETED")] * 3
    assert at("/notify/renamed") == [*modify, *ops, (DELETED, None)]


def test_basic_and_oauth2_subscribers_receive_them_authenticated(api: Api, tmp_path: Path) -> None:
    basic = Subscriber(tmp_path / "basic.jsonl", basic=f"nfvo:{PASSWORD}")
    oauth = Subscriber(tmp_path / "oauth.jsonl", oauth=f"client-1:{CLIENT_SECRET}")
    basic.start()
    oauth.start()
    try:
        params = {"userName": "nfvo", "password": PASSWORD}
        subscribe(api, basic.url, authentication={"authType": ["BASIC"], "paramsBasic": params})
        credentials = {
            "clientId": "client-1",
            "clientPassword": CLIENT_SECRET,
            "tokenEndpoint": oauth.token_endpoint,
        }
        subscribe(
            api,
            oauth.url,
            authentication={
                "authType": ["OAUTH2_CLIENT_CREDENTIALS"],
                "paramsOauth2ClientCredentials": credentials,
            },
        )
        package = onboard_noop(api)
        vnf = create_vnf(api, package["vnfdId"])
        oauth.wait_for(lambda got: len(got) >= 1)
        oauth.revoke_tokens()  # the token mgmt holds is now refused: it fetches another
        instantiate(api, vnf["id"])
        for subscriber in (basic, oauth):
            assert kinds(subscriber.wait_for(lambda got: len(got) >= 4)) == LIFE
    finally:
        basic.stop()
        oauth.stop()
    assert {r["authorization"] for r in basic.requests() if r["method"] == "POST"} == {"Basic"}
    posts = [r for r in oauth.requests() if r["method"] == "POST" and r["path"] != "/token"]
    assert {r["authorization"] for r in posts} == {"Bearer"}
    assert [r for r in posts if not r["ok"]], "the revoked token was never refused"
    assert len([r for r in oauth.requests() if r["path"] == "/token"]) >= 3


def _delivery_state(api: Api, subscription_id: str) -> dict[str, Any]:
    state: dict[str, Any] = api.get(f"{SUBSCRIPTIONS}/{subscription_id}").json()["deliveryState"]
    return state


def _wait_state(
    api: Api, subscription_id: str, predicate: Any, timeout: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    state = _delivery_state(api, subscription_id)
    while not predicate(state) and time.monotonic() < deadline:
        time.sleep(0.2)
        state = _delivery_state(api, subscription_id)
    assert predicate(state), state
    return state


def test_a_subscriber_down_for_a_while_gets_everything_in_order_once_back(
    api: Api, subscriber: Subscriber
) -> None:
    made = subscribe(api, subscriber.url)
    subscriber.stop()
    package = onboard_noop(api)
    vnf = create_vnf(api, package["vnfdId"])
    instantiate(api, vnf["id"])
    terminate(api, vnf["id"])
    waiting = _wait_state(api, made["id"], lambda s: s["pendingNotifications"] == 7)
    assert "ConnectError" in waiting["lastError"] and waiting["oldestUndeliveredTime"]
    time.sleep(3)  # several retries meet nobody
    subscriber.start()
    got = delivered_in_order(subscriber.wait_for(lambda got: len(delivered_in_order(got)) >= 7))
    time.sleep(0.5)
    assert kinds(delivered_in_order(subscriber.notifications())) == [*LIFE, *LIFE[1:]]
    assert len(got) == 7
    _wait_state(api, made["id"], lambda s: s["pendingNotifications"] == 0 and not s["lastError"])


def test_every_notification_is_also_on_the_admin_and_project_exchanges(
    suite: Suite, api: Api, subscriber: Subscriber
) -> None:
    subscribe(api, subscriber.url)
    admins = NotificationListener(suite.settings.amqp_url, "vnflcm.#")
    project_key = project_routing_key(api.project, "vnflcm.*")
    assert project_key is not None
    project = NotificationListener(suite.settings.amqp_url, project_key, PROJECT_NOTIFICATIONS)
    try:
        package = onboard_noop(api)
        vnf = create_vnf(api, package["vnfdId"])
        instantiate(api, vnf["id"])
        http = subscriber.wait_for(lambda got: len(got) >= 4)
        for listener in (admins, project):
            listener.wait_for(
                lambda got: len([b for _, b in got if b["vnfInstanceId"] == vnf["id"]]) >= 4
            )
    finally:
        admins.close()
        project.close()
    mine = [(k, b) for k, b in project.received if b["vnfInstanceId"] == vnf["id"]]
    assert [k for k, _ in mine] == [
        project_routing_key(api.project, f"vnflcm.{b['notificationType']}") for _, b in mine
    ]
    assert [b for k, b in admins.received if b["vnfInstanceId"] == vnf["id"]] == [
        b for _, b in mine
    ]
    # The same JSON as over HTTP, without the HTTP subscription's id and link.
    for (_, body), sent in zip(mine, http, strict=True):
        del sent["subscriptionId"], sent["_links"]["subscription"]
        assert body == sent


def test_mgmt_killed_during_deliveries_loses_and_reorders_nothing(
    suite: Suite, api: Api, subscriber: Subscriber
) -> None:
    subscribe(api, subscriber.url)
    package = onboard_noop(api)
    vnfs = [create_vnf(api, package["vnfdId"])["id"] for _ in range(3)]
    ops = [task(api, vnf_id, "instantiate", {"flavourId": "simple"}) for vnf_id in vnfs]
    subscriber.wait_for(lambda got: len(got) >= 3)
    suite.kill("mgmt")
    try:
        for op in ops:
            wait_op(api, op, "COMPLETED")
    finally:
        suite.start("mgmt")
    subscriber.wait_for(lambda got: len(delivered_in_order(got)) >= 12, timeout=60)
    time.sleep(0.5)
    got = delivered_in_order(subscriber.notifications())
    assert len(got) == 12
    for vnf_id in vnfs:
        assert kinds([n for n in got if n["vnfInstanceId"] == vnf_id]) == LIFE


def test_two_mgmt_replicas_never_send_concurrently_to_one_subscription_and_keep_order(
    suite: Suite, api: Api, tmp_path: Path
) -> None:
    slow = Subscriber(tmp_path / "slow.jsonl", delay=0.1)
    slow.start()
    env = {**TEST_ENV, "SERVICEVM_MGMT_PORT": str(SECOND_MGMT_PORT), "SERVICEVM_DB_POOL_SIZE": "3"}
    assert suite.log_dir is not None
    second = Suite(isolated_settings(env), env=env, log_dir=suite.log_dir / "second-mgmt")
    # More subscriptions than one replica sends to at once (delivery_concurrency, 16): the
    # first replica cannot hold every subscription's head, so the second one sends too.
    paths = tuple(f"/notify/{i}" for i in range(20))
    try:
        second.start("mgmt")
        for path in paths:
            subscribe(api, slow.url.replace("/notify", path))
        package = onboard_noop(api)
        vnfs = [create_vnf(api, package["vnfdId"])["id"] for _ in range(3)]
        for vnf_id in vnfs:
            task(api, vnf_id, "instantiate", {"flavourId": "simple"})
        slow.wait_for(lambda got: len(got) >= 12 * len(paths), timeout=120)
        time.sleep(0.5)
        metrics = httpx.get(f"{second.url('mgmt')}/metrics").text
    finally:
        second.stop()
        slow.stop()
    # Both replicas took part (the second one sends some of them).
    assert 'servicevm_notification_deliveries_total{outcome="delivered"}' in metrics
    for path in paths:
        posts = [r for r in slow.requests() if r["method"] == "POST" and r["path"] == path]
        got = [r["body"] for r in posts]
        assert len(got) == 12 and len({n["id"] for n in got}) == 12  # each once
        for vnf_id in vnfs:
            assert kinds([n for n in got if n["vnfInstanceId"] == vnf_id]) == LIFE
        spans = sorted((r["started"], r["ended"]) for r in posts)
        overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
        assert overlaps == [], f"two notifications were sent to {path} at once"


def test_given_up_notifications_stay_counted_and_an_admin_re_sends_them_in_order(
    suite: Suite, api: Api, tmp_path: Path
) -> None:
    log = tmp_path / "rotated.jsonl"
    subscriber = Subscriber(log, basic=f"nfvo:{PASSWORD}")
    subscriber.start()
    try:
        params = {"userName": "nfvo", "password": PASSWORD}
        made = subscribe(
            api, subscriber.url, authentication={"authType": ["BASIC"], "paramsBasic": params}
        )
        subscriber.stop()
        # The subscriber changed its password: 401 is not retried, the deliveries are given up.
        rotated = Subscriber(log, basic="nfvo:another")
        rotated.port = subscriber.port
        rotated.start()
        package = onboard_noop(api)
        vnf = create_vnf(api, package["vnfdId"])
        instantiate(api, vnf["id"])
        state = _wait_state(api, made["id"], lambda s: s["undeliverableNotifications"] == 4)
        assert state["pendingNotifications"] == 0 and "401" in state["lastError"]
        rotated.stop()
        subscriber.start()
        given_up = state["undeliverableNotificationIds"]
        redeliver = f"{SUBSCRIPTIONS}/{made['id']}/redeliver"
        assert api.post(redeliver, {}).status_code == 403
        admin = Cli(
            suite.url("api"), suite.settings.amqp_url, project="admin", roles="admin,member"
        )
        admin.ok("subscription", "redeliver", made["id"])
        resent = subscriber.wait_for(lambda got: len(got) >= 4)
        assert kinds(resent) == LIFE and [n["id"] for n in resent] == given_up
    finally:
        subscriber.stop()
    _wait_state(api, made["id"], lambda s: s["undeliverableNotifications"] == 0)

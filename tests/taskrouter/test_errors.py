"""Bad input gets Twilio's error shape naming what is wrong, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import LiveServer
from tests.taskrouter.builders import build_center, ok
from tests.taskrouter.conftest import create_account, make_account


def _error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    return str(body["message"])


async def test_unknown_sids_are_404_naming_the_resource(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    missing_worker = "WK" + "0" * 32
    message = _error(await tr.get(f"{center.base}/Workers/{missing_worker}"), 404, 20404)
    assert missing_worker in message
    missing_task = "WT" + "0" * 32
    _error(await tr.post(f"{center.base}/Tasks/{missing_task}", data={"Priority": "1"}), 404, 20404)
    _error(
        await tr.get(f"{center.base}/Tasks/{missing_task}/Reservations/WR{'0' * 32}"), 404, 20404
    )
    _error(await tr.get(f"/v1/Workspaces/WS{'0' * 32}/Activities"), 404, 20404)


async def test_another_accounts_workspace_does_not_exist_for_you(
    app: FastAPI, tr: httpx.AsyncClient
) -> None:
    center = await build_center(tr)
    other = await create_account(app, "other")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", auth=(other.sid, other.token)
    ) as stranger:
        _error(await stranger.get(center.base), 404, 20404)
        _error(await stranger.post(f"{center.base}/Tasks", data={}), 404, 20404)
        listed = await ok(await stranger.get("/v1/Workspaces"))
        assert listed["workspaces"] == []


async def test_missing_or_wrong_credentials_are_401(app: FastAPI, tr: httpx.AsyncClient) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anonymous:
        _error(await anonymous.get("/v1/Workspaces"), 401, 20003)
        wrong = await anonymous.get("/v1/Workspaces", auth=("AC" + "1" * 32, "nope"))
        _error(wrong, 401, 20003)


async def test_a_bad_expression_says_where(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    response = await tr.post(
        f"{center.base}/TaskQueues",
        data={"FriendlyName": "Vida", "TargetWorkers": "skills HAS 'vida' AND"},
    )
    message = _error(response, 400, 20001)
    assert "TargetWorkers" in message
    assert "position 21" in message
    listed = await tr.get(f"{center.base}/Workers", params={"TargetWorkersExpression": "a =="})
    assert "TargetWorkersExpression" in _error(listed, 400, 20001)
    configuration = {
        "task_routing": {
            "filters": [{"expression": "product = = 'x'", "targets": [{"queue": center.queue}]}]
        }
    }
    workflow = await tr.post(
        f"{center.base}/Workflows",
        data={"FriendlyName": "Bad", "Configuration": json.dumps(configuration)},
    )
    message = _error(workflow, 400, 20001)
    assert "Configuration" in message
    assert "task_routing.filters[0].expression" in message


async def test_attributes_that_are_not_json(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    for path in ("/Workers", "/Tasks"):
        data = {"FriendlyName": "x", "WorkflowSid": center.workflow, "Attributes": "{not json"}
        message = _error(await tr.post(center.base + path, data=data), 400, 20001)
        assert "Attributes" in message
        assert "JSON" in message
    array = {"FriendlyName": "y", "Attributes": "[1, 2]"}
    assert "object" in _error(await tr.post(f"{center.base}/Workers", data=array), 400, 20001)


async def test_missing_required_parameters_are_named(tr: httpx.AsyncClient) -> None:
    message = _error(await tr.post("/v1/Workspaces", data={}), 400, 20001)
    assert message == "Missing required parameter FriendlyName in the post body"
    center = await build_center(tr)
    message = _error(
        await tr.post(f"{center.base}/Workflows", data={"FriendlyName": "W"}), 400, 20001
    )
    assert "Configuration" in message
    await center.workflow_with(FriendlyName="Second")
    message = _error(await tr.post(f"{center.base}/Tasks", data={"Attributes": "{}"}), 400, 20001)
    assert "WorkflowSid" in message


async def test_bad_enum_and_number_values_are_named(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    bad = [
        (f"{center.base}/TaskQueues", {"FriendlyName": "Q", "TaskOrder": "RANDOM"}, "TaskOrder"),
        (f"{center.base}/Tasks", {"WorkflowSid": center.workflow, "Priority": "high"}, "Priority"),
        (f"{center.base}/Tasks", {"WorkflowSid": center.workflow, "Priority": "-1"}, "Priority"),
        ("/v1/Workspaces", {"FriendlyName": "W", "MultiTaskEnabled": "maybe"}, "MultiTaskEnabled"),
        (
            f"{center.base}/Tasks",
            {"WorkflowSid": center.workflow, "TaskChannel": "fax"},
            "TaskChannel",
        ),
    ]
    for path, data, parameter in bad:
        assert parameter in _error(await tr.post(path, data=data), 400, 20001)
    listed = await tr.get(f"{center.base}/Tasks", params={"AssignmentStatus": "lost"})
    assert "AssignmentStatus" in _error(listed, 400, 20001)


async def test_callback_addresses_must_be_http_urls(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    workflow = f"{center.base}/Workflows/{center.workflow}"
    bad = [
        (workflow, "AssignmentCallbackUrl", "example.com/assign"),
        (workflow, "FallbackAssignmentCallbackUrl", "ftp://example.com/fallback"),
        (center.base, "EventCallbackUrl", "https://"),
    ]
    for path, parameter, value in bad:
        message = _error(await tr.post(path, data={parameter: value}), 400, 20001)
        assert parameter in message and value in message
    fine = "https://crm.example.com/taskrouter/fallback"
    saved = await ok(await tr.post(workflow, data={"FallbackAssignmentCallbackUrl": fine}))
    assert saved["fallback_assignment_callback_url"] == fine
    cleared = await ok(await tr.post(workflow, data={"FallbackAssignmentCallbackUrl": ""}))
    assert not cleared["fallback_assignment_callback_url"]


async def test_a_second_accept_is_a_conflict_and_status_rules_hold(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    await center.worker("ana")
    task = await center.task()
    reservation = (await center.reservations(task["sid"]))[0]["sid"]
    url = f"{center.base}/Tasks/{task['sid']}/Reservations/{reservation}"
    await ok(await tr.post(url, data={"ReservationStatus": "accepted"}))
    message = _error(await tr.post(url, data={"ReservationStatus": "accepted"}), 409, 20409)
    assert reservation in message
    _error(await tr.post(url, data={"ReservationStatus": "rejected"}), 409, 20409)
    _error(await tr.post(url, data={"ReservationStatus": "timeout"}), 400, 20001)
    pending = await center.task()
    wrap = await tr.post(
        f"{center.base}/Tasks/{pending['sid']}", data={"AssignmentStatus": "wrapping"}
    )
    assert "AssignmentStatus" in _error(wrap, 400, 20001)


async def test_if_match_guards_updates(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    worker = await center.worker("ana", available=False)
    fetched = await tr.get(f"{center.base}/Workers/{worker}")
    etag = fetched.headers["ETag"]
    updated = await tr.post(
        f"{center.base}/Workers/{worker}",
        data={"Attributes": '{"skills": []}'},
        headers={"If-Match": etag},
    )
    assert updated.status_code == 200
    assert updated.headers["ETag"] != etag
    stale = await tr.post(
        f"{center.base}/Workers/{worker}", data={"FriendlyName": "bia"}, headers={"If-Match": etag}
    )
    _error(stale, 412, 20412)
    assert (await ok(await tr.get(f"{center.base}/Workers/{worker}")))["friendly_name"] == "ana"


async def test_resources_in_use_cannot_be_deleted(tr: httpx.AsyncClient) -> None:
    center = await build_center(tr)
    message = _error(await tr.delete(f"{center.base}/TaskQueues/{center.queue}"), 400, 20001)
    assert center.workflow in message
    _error(await tr.delete(f"{center.base}/Activities/{center.offline}"), 400, 20001)


FORM_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "{", "[]", "null", "-1", "99999999999999999999", "WA", "true", "é"]),
)


def test_random_form_values_never_cause_a_server_error(
    live_server: LiveServer, database_url: str
) -> None:
    account = make_account(database_url)
    http = httpx.Client(base_url=live_server.url, auth=(account.sid, account.token), timeout=30)
    workspace = http.post("/v1/Workspaces", data={"FriendlyName": "Fuzz"}).json()["sid"]
    base = f"/v1/Workspaces/{workspace}"
    worker = http.post(f"{base}/Workers", data={"FriendlyName": "ana"}).json()["sid"]
    targets = [
        (f"{base}/Tasks", ["WorkflowSid", "Attributes", "Priority", "Timeout", "TaskChannel"]),
        (f"{base}/Workers/{worker}", ["ActivitySid", "Attributes", "FriendlyName"]),
        (f"{base}/TaskQueues", ["FriendlyName", "TargetWorkers", "MaxReservedWorkers"]),
        (f"{base}/Workflows", ["FriendlyName", "Configuration", "TaskReservationTimeout"]),
        (base, ["DefaultActivitySid", "PrioritizeQueueOrder", "MultiTaskEnabled"]),
    ]

    @settings(max_examples=60, deadline=None)
    @given(target=st.sampled_from(targets), values=st.lists(FORM_VALUES, min_size=3, max_size=5))
    def probe(target: tuple[str, list[str]], values: list[str]) -> None:
        path, names = target
        response = http.post(path, data=dict(zip(names, values, strict=False)))
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "message", "more_info", "status"}

    try:
        probe()
    finally:
        http.close()

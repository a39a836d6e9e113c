"""All 61 operations of Twilio's TaskRouter spec, each answering with a body its schema admits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.taskrouter.conftest import Account
from tests.taskrouter.spec import SpecChecker


@pytest.fixture
def checker() -> SpecChecker:
    return SpecChecker.load()


@pytest.fixture
async def checked(
    app: FastAPI, account: Account, checker: SpecChecker
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose every successful response is validated against the spec."""

    async def validate(response: httpx.Response) -> None:
        await response.aread()
        if response.is_success:
            body = response.json() if response.content else None
            checker.check(
                response.request.method, str(response.request.url), response.status_code, body
            )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        auth=(account.sid, account.token),
        event_hooks={"response": [validate]},
    ) as http:
        yield http


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def test_every_operation_answers_as_the_spec_says(
    checked: httpx.AsyncClient, checker: SpecChecker
) -> None:
    http = checked
    ws = (await _ok(await http.post("/v1/Workspaces", data={"FriendlyName": "Corretora"}), 201))[
        "sid"
    ]
    base = f"/v1/Workspaces/{ws}"
    await _ok(await http.get("/v1/Workspaces"))
    await _ok(await http.get(base))
    await _ok(await http.post(base, data={"EventsFilter": "task.created,reservation.created"}))

    activity = (
        await _ok(
            await http.post(
                f"{base}/Activities", data={"FriendlyName": "Ready", "Available": "true"}
            ),
            201,
        )
    )["sid"]
    await _ok(await http.get(f"{base}/Activities", params={"Available": "true"}))
    await _ok(await http.get(f"{base}/Activities/{activity}"))
    await _ok(await http.post(f"{base}/Activities/{activity}", data={"FriendlyName": "Pronto"}))

    channel = (
        await _ok(
            await http.post(
                f"{base}/TaskChannels", data={"FriendlyName": "WhatsApp", "UniqueName": "whatsapp"}
            ),
            201,
        )
    )["sid"]
    await _ok(await http.get(f"{base}/TaskChannels"))
    await _ok(await http.get(f"{base}/TaskChannels/{channel}"))
    await _ok(
        await http.post(f"{base}/TaskChannels/{channel}", data={"ChannelOptimizedRouting": "true"})
    )

    queue = (
        await _ok(
            await http.post(
                f"{base}/TaskQueues",
                data={"FriendlyName": "Auto", "TargetWorkers": "skills HAS 'auto'"},
            ),
            201,
        )
    )["sid"]
    await _ok(
        await http.get(
            f"{base}/TaskQueues", params={"EvaluateWorkerAttributes": '{"skills":["auto"]}'}
        )
    )
    await _ok(await http.get(f"{base}/TaskQueues/{queue}"))
    await _ok(await http.post(f"{base}/TaskQueues/{queue}", data={"MaxReservedWorkers": "2"}))

    configuration = json.dumps(
        {
            "task_routing": {
                "filters": [
                    {
                        "filter_friendly_name": "auto",
                        "expression": "product == 'auto'",
                        "targets": [{"queue": queue}],
                    }
                ],
                "default_filter": {"queue": queue},
            }
        }
    )
    workflow = (
        await _ok(
            await http.post(
                f"{base}/Workflows", data={"FriendlyName": "Vendas", "Configuration": configuration}
            ),
            201,
        )
    )["sid"]
    await _ok(await http.get(f"{base}/Workflows"))
    await _ok(await http.get(f"{base}/Workflows/{workflow}"))
    await _ok(
        await http.post(f"{base}/Workflows/{workflow}", data={"TaskReservationTimeout": "60"})
    )

    worker = (
        await _ok(
            await http.post(
                f"{base}/Workers", data={"FriendlyName": "ana", "Attributes": '{"skills":["auto"]}'}
            ),
            201,
        )
    )["sid"]
    await _ok(
        await http.get(f"{base}/Workers", params={"TargetWorkersExpression": "skills HAS 'auto'"})
    )
    await _ok(await http.get(f"{base}/Workers/{worker}"))
    await _ok(await http.post(f"{base}/Workers/{worker}", data={"ActivitySid": activity}))
    await _ok(await http.get(f"{base}/Workers/{worker}/Channels"))
    await _ok(await http.get(f"{base}/Workers/{worker}/Channels/whatsapp"))
    await _ok(await http.post(f"{base}/Workers/{worker}/Channels/whatsapp", data={"Capacity": "3"}))

    task = (
        await _ok(
            await http.post(
                f"{base}/Tasks", data={"WorkflowSid": workflow, "Attributes": '{"product":"auto"}'}
            ),
            201,
        )
    )["sid"]
    await _ok(
        await http.get(f"{base}/Tasks", params={"EvaluateTaskAttributes": "product == 'auto'"})
    )
    await _ok(await http.get(f"{base}/Tasks/{task}"))
    reservations = (await _ok(await http.get(f"{base}/Tasks/{task}/Reservations")))["reservations"]
    reservation = reservations[0]["sid"]
    await _ok(await http.get(f"{base}/Tasks/{task}/Reservations/{reservation}"))
    await _ok(await http.get(f"{base}/Workers/{worker}/Reservations"))
    await _ok(await http.get(f"{base}/Workers/{worker}/Reservations/{reservation}"))
    await _ok(
        await http.post(
            f"{base}/Tasks/{task}/Reservations/{reservation}",
            data={"ReservationStatus": "accepted"},
        )
    )
    await _ok(await http.post(f"{base}/Tasks/{task}", data={"AssignmentStatus": "wrapping"}))
    await _ok(
        await http.post(
            f"{base}/Workers/{worker}/Reservations/{reservation}",
            data={"ReservationStatus": "completed"},
        )
    )

    split = {"SplitByWaitTime": "5,30"}
    await _ok(await http.get(f"{base}/Statistics", params=split))
    await _ok(await http.get(f"{base}/RealTimeStatistics"))
    await _ok(await http.get(f"{base}/CumulativeStatistics", params=split))
    await _ok(await http.get(f"{base}/TaskQueues/{queue}/Statistics", params=split))
    await _ok(await http.get(f"{base}/TaskQueues/{queue}/RealTimeStatistics"))
    await _ok(await http.get(f"{base}/TaskQueues/{queue}/CumulativeStatistics", params=split))
    await _ok(await http.get(f"{base}/TaskQueues/Statistics"))
    await _ok(await http.post(f"{base}/TaskQueues/RealTimeStatistics", json={"QueueSids": [queue]}))
    await _ok(await http.get(f"{base}/Workflows/{workflow}/Statistics", params=split))
    await _ok(await http.get(f"{base}/Workflows/{workflow}/RealTimeStatistics"))
    await _ok(await http.get(f"{base}/Workflows/{workflow}/CumulativeStatistics", params=split))
    await _ok(await http.get(f"{base}/Workers/Statistics"))
    await _ok(await http.get(f"{base}/Workers/CumulativeStatistics"))
    await _ok(await http.get(f"{base}/Workers/RealTimeStatistics"))
    await _ok(await http.get(f"{base}/Workers/{worker}/Statistics"))

    events = (await _ok(await http.get(f"{base}/Events", params={"TaskSid": task})))["events"]
    await _ok(await http.get(f"{base}/Events/{events[0]['sid']}"))

    await _ok(await http.delete(f"{base}/Tasks/{task}"), 204)
    await _ok(await http.delete(f"{base}/Workers/{worker}"), 204)
    await _ok(await http.delete(f"{base}/Workflows/{workflow}"), 204)
    await _ok(await http.delete(f"{base}/TaskQueues/{queue}"), 204)
    await _ok(await http.delete(f"{base}/TaskChannels/{channel}"), 204)
    await _ok(await http.delete(f"{base}/Activities/{activity}"), 204)
    await _ok(await http.delete(base), 204)

    assert checker.operation_ids - checker.checked == set()
    assert len(checker.checked) == 61

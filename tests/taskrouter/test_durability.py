"""`kill -9` of a real `atende serve` and a restart: every task, reservation and worker is as it
was, a timer that fell due while the server was down fires at start-up (reservation timeouts,
workflow target timeouts, task TTL), one still ahead fires when it was meant to, and no event
waiting in the outbox is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.support.http_receiver import http_receiver
from tests.taskrouter.conftest import Account, make_account

ATENDE = Path(sys.executable).with_name("atende")
SHORT_TIMEOUT = 2
# How late a timer may fire after its deadline: the loop wakes at the deadline itself; this only
# absorbs scheduling and a commit on a busy test machine.
LATENESS = 1.5


class Server:
    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start and wait until healthy; returns how long that took."""
        started = time.monotonic()
        env = {**os.environ, "ATENDE_DATABASE_URL": self.database_url}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(ATENDE), "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, tmp_path / "server.log")
    yield running
    if running.process is not None and running.process.poll() is None:
        running.kill()


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _event(http: httpx.Client, base: str, reservation: str, event_type: str) -> dict[str, Any]:
    events = _ok(http.get(f"{base}/Events", params={"ReservationSid": reservation}))["events"]
    return next(event for event in events if event["event_type"] == event_type)


def _build(http: httpx.Client, long_timeout: int) -> dict[str, str]:
    """Three workers: carla busy with an accepted task, ana and bia each offered one."""
    ws = _ok(http.post("/v1/Workspaces", data={"FriendlyName": "Durable"}), 201)["sid"]
    base = f"/v1/Workspaces/{ws}"
    activities = _ok(http.get(f"{base}/Activities"))["activities"]
    available = next(a["sid"] for a in activities if a["friendly_name"] == "Available")
    queue = _ok(http.post(f"{base}/TaskQueues", data={"FriendlyName": "Q"}), 201)["sid"]
    configuration = json.dumps({"task_routing": {"default_filter": {"queue": queue}}})
    workflows = {
        timeout: _ok(
            http.post(
                f"{base}/Workflows",
                data={
                    "FriendlyName": f"{timeout}s",
                    "Configuration": configuration,
                    "TaskReservationTimeout": str(timeout),
                },
            ),
            201,
        )["sid"]
        for timeout in (300, SHORT_TIMEOUT, long_timeout)
    }
    ids = {"base": base}
    for name, timeout in (("carla", 300), ("bia", SHORT_TIMEOUT), ("ana", long_timeout)):
        data = {"FriendlyName": name, "ActivitySid": available}
        ids[name] = _ok(http.post(f"{base}/Workers", data=data), 201)["sid"]
        data = {"WorkflowSid": workflows[timeout], "Attributes": json.dumps({"for": name})}
        task = _ok(http.post(f"{base}/Tasks", data=data), 201)["sid"]
        reservation = _ok(http.get(f"{base}/Tasks/{task}/Reservations"))["reservations"][0]
        assert reservation["worker_sid"] == ids[name]
        ids[f"{name}_task"], ids[f"{name}_reservation"] = task, reservation["sid"]
    accept = {"ReservationStatus": "accepted"}
    _ok(
        http.post(
            f"{base}/Tasks/{ids['carla_task']}/Reservations/{ids['carla_reservation']}", data=accept
        )
    )
    return ids


def _client(server: Server, account: Account) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=(account.sid, account.token), timeout=30)


@pytest.mark.slow
def test_kill_9_and_restart_keeps_state_and_fires_timers_on_time(
    server: Server, database_url: str
) -> None:
    account = make_account(database_url)
    # Ana's offer must outlive the restart, however slow this machine starts a server.
    long_timeout = int(2 * server.start()) + 5
    with _client(server, account) as http:
        ids = _build(http, long_timeout)
        base = ids["base"]
        offered_at = _event(http, base, ids["ana_reservation"], "reservation.created")
    server.kill()
    time.sleep(SHORT_TIMEOUT + 0.5)  # bia's offer falls due while nothing runs

    server.start()
    with _client(server, account) as http:
        task = _ok(http.get(f"{base}/Tasks/{ids['carla_task']}"))
        assert task["assignment_status"] == "assigned"
        assert json.loads(task["attributes"]) == {"for": "carla"}
        bia_offer = f"{base}/Tasks/{ids['bia_task']}/Reservations/{ids['bia_reservation']}"
        assert _ok(http.get(bia_offer))["reservation_status"] == "timeout"
        assert _ok(http.get(f"{base}/Workers/{ids['bia']}"))["activity_name"] == "Offline"
        ana_offer = f"{base}/Tasks/{ids['ana_task']}/Reservations/{ids['ana_reservation']}"
        assert _ok(http.get(ana_offer))["reservation_status"] == "pending"
        assert _ok(http.get(f"{base}/Workers/{ids['carla']}"))["available"] is True

        deadline = time.monotonic() + long_timeout + 10
        while _ok(http.get(ana_offer))["reservation_status"] == "pending":
            assert time.monotonic() < deadline, "ana's reservation never timed out"
            time.sleep(0.1)
        fired = _event(http, base, ids["ana_reservation"], "reservation.timeout")
        late = (fired["event_date_ms"] - offered_at["event_date_ms"]) / 1000 - long_timeout
        assert 0 <= late < LATENESS
        statistics = _ok(http.get(f"{base}/CumulativeStatistics"))
        assert statistics["reservations_timed_out"] == 2
        assert statistics["reservations_accepted"] == 1


def _waiting_tasks(http: httpx.Client, callback_url: str) -> dict[str, str]:
    """Nobody to serve them: one task whose workflow moves it from queue A to B after
    SHORT_TIMEOUT, one that lives SHORT_TIMEOUT (TTL). Every event goes to `callback_url`."""
    data = {"FriendlyName": "Durable", "EventCallbackUrl": callback_url}
    ws = _ok(http.post("/v1/Workspaces", data=data), 201)["sid"]
    base = f"/v1/Workspaces/{ws}"
    queues = {
        name: _ok(
            http.post(
                f"{base}/TaskQueues",
                data={"FriendlyName": name, "TargetWorkers": f"skills HAS '{name}'"},
            ),
            201,
        )["sid"]
        for name in ("A", "B")
    }
    routing = {
        "task_routing": {
            "filters": [
                {
                    "filter_friendly_name": "all",
                    "expression": "1==1",
                    "targets": [
                        {"queue": queues["A"], "timeout": SHORT_TIMEOUT},
                        {"queue": queues["B"]},
                    ],
                }
            ]
        }
    }
    workflow = _ok(
        http.post(
            f"{base}/Workflows",
            data={"FriendlyName": "A then B", "Configuration": json.dumps(routing)},
        ),
        201,
    )["sid"]
    create = {"WorkflowSid": workflow, "Attributes": "{}"}
    moving = _ok(http.post(f"{base}/Tasks", data=create), 201)["sid"]
    expiring = _ok(http.post(f"{base}/Tasks", data={**create, "Timeout": str(SHORT_TIMEOUT)}), 201)[
        "sid"
    ]
    assert _ok(http.get(f"{base}/Tasks/{moving}"))["task_queue_sid"] == queues["A"]
    return {"base": base, "moving": moving, "expiring": expiring, "queue_b": queues["B"]}


@pytest.mark.slow
def test_kill_9_keeps_workflow_timeouts_task_ttl_and_the_outbox(
    server: Server, database_url: str
) -> None:
    account = make_account(database_url)
    server.start()
    with http_receiver() as receiver:
        receiver.default_status = 503  # the far end is down: every callback waits for a retry
        with _client(server, account) as http:
            ids = _waiting_tasks(http, receiver.url)
            base = ids["base"]
            recorded = {event["sid"] for event in _ok(http.get(f"{base}/Events"))["events"]}
            receiver.wait_for(1)
        server.kill()
        tried = len(receiver.requests)
        receiver.default_status = 200  # it is back while Atende is down
        time.sleep(SHORT_TIMEOUT + 0.5)  # the target timeout and the TTL fall due meanwhile

        server.start()
        with _client(server, account) as http:
            deadline = time.monotonic() + 10
            while (
                _ok(http.get(f"{base}/Tasks/{ids['moving']}"))["task_queue_sid"] != ids["queue_b"]
            ):
                assert time.monotonic() < deadline, "the workflow target never timed out"
                time.sleep(0.1)
            expired = _ok(http.get(f"{base}/Tasks/{ids['expiring']}"))
            assert expired["assignment_status"] == "canceled"

            deadline = time.monotonic() + 30
            while not recorded <= {r.form.get("Sid") for r in receiver.requests[tried:]}:
                assert time.monotonic() < deadline, "events waiting in the outbox were lost"
                time.sleep(0.2)

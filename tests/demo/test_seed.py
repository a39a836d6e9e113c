"""The demo's contact center: what `atende demo` seeds, and that it routes as the broker expects."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from atende.auth.models import User
from atende.auth.service import AuthService
from atende.demo import company
from atende.demo.seed import seed
from atende.demo.traffic import DemoTraffic
from atende.taskrouter import models as tr
from atende.taskrouter.service import TaskRouterService


async def test_seed_creates_the_company_and_is_idempotent(app: FastAPI, tmp_path: Path) -> None:
    runtime = app.state.runtime
    first = await seed(runtime, tmp_path / "demo.json")
    again = await seed(runtime, tmp_path / "demo.json")
    assert again == first
    async with runtime.sessions() as session:
        queues = (
            await session.execute(
                select(tr.TaskQueue.friendly_name).where(
                    tr.TaskQueue.workspace_sid == first.workspace_sid
                )
            )
        ).scalars()
        assert sorted(queues) == sorted(queue.name for queue in company.ALL_QUEUES)
        users = await session.scalar(select(func.count()).select_from(User))
        assert users == len(company.AGENTS) + len(company.STAFF)
        principal = await AuthService(session).check_account(first.account_sid, first.auth_token)
        assert principal is not None
    assert len(first.simulated_workers) == sum(agent.simulated for agent in company.AGENTS)


async def test_an_auto_quote_is_offered_to_an_auto_seller(app: FastAPI, tmp_path: Path) -> None:
    runtime = app.state.runtime
    setup = await seed(runtime, tmp_path / "demo.json")
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        task = await service.create_task(
            setup.workspace_sid,
            setup.workflow_sid,
            {"motivo": "cotacao_auto", "name": "Cliente"},
            "whatsapp",
        )
        await session.commit()
        queue = await session.get(tr.TaskQueue, task.task_queue_sid)
        reservation = (
            await session.execute(select(tr.Reservation).where(tr.Reservation.task_sid == task.sid))
        ).scalar_one()
        worker = await session.get(tr.Worker, reservation.worker_sid)
    assert queue is not None and queue.friendly_name == "Vendas Auto"
    assert worker is not None and "auto" in worker.attributes
    assert worker.sid in setup.simulated_workers


async def test_a_returning_customer_goes_to_the_agent_who_served_them(
    app: FastAPI, tmp_path: Path
) -> None:
    runtime = app.state.runtime
    setup = await seed(runtime, tmp_path / "demo.json")
    joao = next(sid for sid, name in setup.simulated_workers.items() if name == "João Pereira")
    async with runtime.sessions() as session:
        service = TaskRouterService(session, runtime)
        task = await service.create_task(
            setup.workspace_sid,
            setup.workflow_sid,
            {"motivo": "cotacao_auto", "known_worker_sid": joao},
            "whatsapp",
        )
        await session.commit()
        reservation = (
            await session.execute(select(tr.Reservation).where(tr.Reservation.task_sid == task.sid))
        ).scalar_one()
    assert reservation.worker_sid == joao


async def test_the_demo_traffic_makes_the_statistics_move(app: FastAPI, tmp_path: Path) -> None:
    runtime = app.state.runtime
    setup = await seed(runtime, tmp_path / "demo.json")
    traffic = DemoTraffic(runtime, setup, mean_interarrival=0.3, seed=7)
    jobs = [asyncio.create_task(job()) for job in (traffic.agents, traffic.arrivals)]
    # Simulated agents accept within 1.5-6 s of an offer.
    deadline = asyncio.get_running_loop().time() + 20
    accepted = 0
    while accepted == 0:
        assert asyncio.get_running_loop().time() < deadline, "no simulated agent took a task"
        await asyncio.sleep(0.5)
        async with runtime.sessions() as session:
            accepted = (
                await session.scalar(
                    select(func.count())
                    .select_from(tr.Reservation)
                    .where(
                        tr.Reservation.workspace_sid == setup.workspace_sid,
                        tr.Reservation.reservation_status == "accepted",
                    )
                )
                or 0
            )
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)
    await traffic.stop()

    transport = httpx.ASGITransport(app=app)
    auth = (setup.account_sid, setup.auth_token)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo", auth=auth) as http:
        response = await http.get(f"/v1/Workspaces/{setup.workspace_sid}/CumulativeStatistics")
    assert response.status_code == 200, response.text
    statistics = response.json()
    assert statistics["tasks_created"] > 0
    assert statistics["reservations_accepted"] > 0

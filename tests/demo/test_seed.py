"""The demo's contact center: what `atende demo` seeds, and that it routes as the broker expects."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from atende.auth.models import User
from atende.auth.service import AuthService
from atende.demo import company
from atende.demo.seed import seed
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

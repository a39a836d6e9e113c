"""What administrators change from the desk: people (with their worker's skills, languages and
team), queues with their service-level goal, and workflows. Routing objects change through the
TaskRouter service, so the engine and the HTTP API see exactly the same thing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth import secrets
from atende.auth.models import Role, User
from atende.auth.principal import Principal
from atende.auth.repository import AuthRepository
from atende.auth.service import AuthError, AuthService
from atende.desk.agent_service import as_problem
from atende.desk.models import DEFAULT_TARGET_PERCENT, DEFAULT_THRESHOLD_SECONDS, QueueGoal
from atende.desk.repository import DeskRepository
from atende.desk.schemas import (
    ChannelView,
    Holiday,
    QueueIn,
    QueuePatch,
    Queues,
    QueueView,
    TransferTarget,
    UserIn,
    UserPatch,
    Users,
    UserView,
    Workflows,
    WorkflowVerdict,
    WorkflowView,
)
from atende.desk.workflow_check import dry_run
from atende.errors import Problem
from atende.ops.calendar import brazil_holidays
from atende.routing.engine import RoutingEngine
from atende.runtime import Runtime
from atende.taskrouter.event_records import Actor
from atende.taskrouter.service import TaskRouterService

# Chats an agent holds at once unless an administrator says otherwise; one call at a time.
CHAT_CAPACITY = 3
SINGLE_TASK_CHANNELS = frozenset({"voice", "default", "video"})


class DeskAdministration:
    def __init__(self, session: AsyncSession, runtime: Runtime, principal: Principal) -> None:
        self.session = session
        self.runtime = runtime
        self.principal = principal
        self.repo = DeskRepository(session)
        self.taskrouter = TaskRouterService(session, runtime, Actor("admin"))

    async def workspace(self, asked: str | None = None) -> str | None:
        known = [workspace.sid for workspace in await self.repo.workspaces()]
        for candidate in (asked, self.principal.workspace_sid):
            if candidate and candidate in known:
                return candidate
        return known[0] if known else None

    async def _engine(self, workspace_sid: str) -> RoutingEngine:
        async with as_problem():
            return (await self.taskrouter.peek(workspace_sid)).engine

    # ------------------------------------------------------------------ people

    async def users(self) -> Users:
        views = []
        engines: dict[str, RoutingEngine] = {}
        for user in await self.repo.users():
            attributes: dict[str, Any] = {}
            if user.worker_sid and user.workspace_sid:
                if user.workspace_sid not in engines:
                    engines[user.workspace_sid] = await self._engine(user.workspace_sid)
                worker = engines[user.workspace_sid].workers.get(user.worker_sid)
                attributes = dict(worker.attributes) if worker else {}
            views.append(_user_view(user, attributes))
        return Users(
            users=views,
            known_skills=sorted({skill for view in views for skill in view.skills}),
            known_teams=sorted({view.team for view in views if view.team}),
        )

    async def create_user(self, data: UserIn) -> None:
        email = data.email.strip().lower()
        if not self.runtime.settings.email_allowed(email):
            raise Problem(422, "Invalid user", "email: this domain may not sign in to Atende")
        workspace_sid = await self.workspace()
        worker_sid = None
        if Role(data.role) is Role.AGENT:
            if workspace_sid is None:
                raise Problem(409, "Conflict", "an agent needs a workspace; create one first")
            worker_sid = await self._create_worker(workspace_sid, data)
        try:
            await AuthService(self.session).create_user(
                email,
                Role(data.role),
                password=data.password,
                display_name=data.display_name,
                workspace_sid=workspace_sid,
                worker_sid=worker_sid,
            )
        except AuthError as error:
            raise Problem(409, "Conflict", f"email: {error}") from None

    async def _create_worker(self, workspace_sid: str, data: UserIn) -> str:
        engine = await self._engine(workspace_sid)
        name = data.display_name or data.email.split("@")[0]
        attributes = {
            "skills": data.skills,
            "languages": data.languages or ["pt"],
            "team": data.team or "",
            "contact_uri": f"client:{data.email.split('@')[0]}",
            "email": data.email.lower(),
        }
        async with as_problem():
            worker = await self.taskrouter.create_worker(
                workspace_sid,
                name,
                activity_sid=engine.settings.default_activity_sid,
                attributes=attributes,
            )
            for channel in engine.task_channels.values():
                if channel.unique_name not in SINGLE_TASK_CHANNELS:
                    await self.taskrouter.update_worker_channel(
                        workspace_sid, worker.sid, channel.sid, capacity=CHAT_CAPACITY
                    )
        return worker.sid

    async def change_user(self, user_id: int, data: UserPatch) -> None:
        user = await AuthRepository(self.session).user(user_id)
        if user is None:
            raise Problem(404, "Not Found", f"no user {user_id}")
        if data.display_name is not None:
            user.display_name = data.display_name
        if data.role is not None:
            user.role = data.role
        if data.password is not None:
            user.password_hash = secrets.hash_password(data.password)
            user.failed_logins = 0
            user.locked_until = None
        if data.active is False and user.active:
            await AuthService(self.session).sign_out_everywhere(user.id)
        if data.active is not None:
            user.active = data.active
        if user.worker_sid and user.workspace_sid:
            await self._change_worker(user, data)

    async def _change_worker(self, user: User, data: UserPatch) -> None:
        assert user.worker_sid is not None and user.workspace_sid is not None
        worker = (await self._engine(user.workspace_sid)).workers.get(user.worker_sid)
        if worker is None:
            return
        attributes = dict(worker.attributes)
        for key, value in (
            ("team", data.team),
            ("skills", data.skills),
            ("languages", data.languages),
        ):
            if value is not None:
                attributes[key] = value
        name = data.display_name if data.display_name else None
        async with as_problem():
            await self.taskrouter.update_worker(
                user.workspace_sid, user.worker_sid, attributes=attributes, friendly_name=name
            )

    # ------------------------------------------------------------------ queues

    async def queues(self) -> Queues:
        workspace_sid = await self.workspace()
        if workspace_sid is None:
            return Queues(workspace_sid=None, queues=[])
        engine = await self._engine(workspace_sid)
        goals = await self.repo.queue_goals(workspace_sid)
        return Queues(
            workspace_sid=workspace_sid,
            queues=[
                QueueView(
                    sid=queue.sid,
                    name=queue.friendly_name,
                    target_workers=queue.target_workers,
                    service_level_threshold=goals[queue.sid].threshold_seconds
                    if queue.sid in goals
                    else DEFAULT_THRESHOLD_SECONDS,
                    service_level_target=goals[queue.sid].target_percent
                    if queue.sid in goals
                    else DEFAULT_TARGET_PERCENT,
                )
                for queue in engine.task_queues.values()
            ],
        )

    async def create_queue(self, data: QueueIn) -> None:
        workspace_sid = await self._required_workspace()
        async with as_problem():
            row = await self.taskrouter.create_task_queue(
                workspace_sid, data.name, target_workers=data.target_workers
            )
        self.repo.add(
            QueueGoal(
                queue_sid=row.sid,
                workspace_sid=workspace_sid,
                threshold_seconds=data.service_level_threshold,
                target_percent=data.service_level_target,
            )
        )

    async def change_queue(self, queue_sid: str, data: QueuePatch) -> None:
        workspace_sid = await self._required_workspace()
        if data.name is not None or data.target_workers is not None:
            async with as_problem():
                await self.taskrouter.update_task_queue(
                    workspace_sid,
                    queue_sid,
                    friendly_name=data.name,
                    target_workers=data.target_workers,
                )
        if data.service_level_threshold is None and data.service_level_target is None:
            return
        goal = await self.repo.queue_goal(queue_sid)
        if goal is None:
            goal = QueueGoal(queue_sid=queue_sid, workspace_sid=workspace_sid)
            goal.threshold_seconds = DEFAULT_THRESHOLD_SECONDS
            goal.target_percent = DEFAULT_TARGET_PERCENT
            self.repo.add(goal)
        if data.service_level_threshold is not None:
            goal.threshold_seconds = data.service_level_threshold
        if data.service_level_target is not None:
            goal.target_percent = data.service_level_target

    async def _required_workspace(self) -> str:
        workspace_sid = await self.workspace()
        if workspace_sid is None:
            raise Problem(409, "Conflict", "there is no workspace yet")
        return workspace_sid

    # ------------------------------------------------------------------ workflows

    async def workflows(self) -> Workflows:
        workspace_sid = await self.workspace()
        if workspace_sid is None:
            return Workflows(workspace_sid=None, workflows=[], queues=[])
        engine = await self._engine(workspace_sid)
        rows = [await self.taskrouter.repo.workflow(workspace_sid, sid) for sid in engine.workflows]
        return Workflows(
            workspace_sid=workspace_sid,
            workflows=[
                WorkflowView(sid=row.sid, name=row.friendly_name, configuration=row.configuration)
                for row in rows
                if row is not None
            ],
            queues=[
                TransferTarget(sid=queue.sid, name=queue.friendly_name)
                for queue in engine.task_queues.values()
            ],
        )

    async def change_workflow(self, workflow_sid: str, configuration: str) -> None:
        workspace_sid = await self._required_workspace()
        verdict = await self.dry_run(workspace_sid, configuration, None)
        if not verdict.valid:
            raise Problem(422, "Invalid workflow", f"{verdict.path}: {verdict.error}")
        async with as_problem():
            await self.taskrouter.update_workflow(
                workspace_sid, workflow_sid, configuration=configuration
            )

    async def dry_run(
        self, asked: str | None, configuration: str, attributes: dict[str, Any] | None
    ) -> WorkflowVerdict:
        workspace_sid = await self.workspace(asked)
        names: dict[str, str] = {}
        if workspace_sid is not None:
            engine = await self._engine(workspace_sid)
            names = {sid: queue.friendly_name for sid, queue in engine.task_queues.items()}
        return dry_run(configuration, attributes, names)

    # ------------------------------------------------------------------ channels, holidays

    def channels(self) -> list[ChannelView]:
        """The providers this node was configured with; voice channels added by admins are
        listed by the voice API."""
        settings = self.runtime.settings
        return [
            ChannelView(
                name="WhatsApp (Meta Cloud API)",
                kind="whatsapp",
                address=settings.whatsapp_phone_number_id,
                configured=bool(settings.whatsapp_access_token and settings.whatsapp_app_secret),
            ),
            ChannelView(
                name="Twilio (voz e SMS)",
                kind="twilio",
                address=settings.twilio_number,
                configured=bool(settings.twilio_account_sid and settings.twilio_auth_token),
            ),
            ChannelView(name="Chat do site", kind="webchat", address=None, configured=True),
        ]


def holidays_of(year: int) -> list[Holiday]:
    """Federal, state and city holidays of São Paulo for the year, as the calendars use them."""
    found = brazil_holidays()(year)
    return [
        Holiday(day=day.isoformat(), name=name, kind="public")
        for day, name in sorted(found.items(), key=lambda item: item[0])
        if isinstance(day, date)
    ]


def _user_view(user: User, attributes: dict[str, Any]) -> UserView:
    def words(value: Any) -> list[str]:
        return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []

    team = attributes.get("team")
    return UserView(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        worker_sid=user.worker_sid,
        team=team if isinstance(team, str) and team else None,
        skills=words(attributes.get("skills")),
        languages=words(attributes.get("languages")),
    )

"""Use cases of access requests: anyone with a company e-mail may ask; an admin approves (the
account is created with the role) or denies; the requester is told; everything is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from atende.auth.models import Role, User
from atende.auth.password_setup import PasswordSetup
from atende.auth.service import AuthError, AuthService
from atende.errors import Problem
from atende.ops.context import OpsContext
from atende.ops.messages import local_time
from atende.ops.models import AccessRequest, AuditEntry, Notification
from atende.ops.repository import OpsRepository

PASSWORD_SETUP_PATH = "/password/setup"
ROLE_LABELS = {Role.AGENT: "Agente", Role.SUPERVISOR: "Supervisor", Role.ADMIN: "Administrador"}


class AccessRefused(Exception):
    """A request the form should show back to the person, in pt-BR."""


@dataclass(frozen=True)
class AccessForm:
    name: str
    email: str
    team: str
    role_wanted: str
    reason: str


def email_domain_allowed(email: str, allowed: tuple[str, ...]) -> bool:
    """An empty allow-list admits every domain, as the sign-in does."""
    domain = email.rsplit("@", 1)[-1].strip().lower()
    return not allowed or domain in allowed


class AccessService:
    def __init__(self, session: AsyncSession, context: OpsContext) -> None:
        self.session = session
        self.repo = OpsRepository(session)
        self.context = context

    async def submit(self, form: AccessForm) -> AccessRequest:
        email = form.email.strip().lower()
        if not form.name.strip() or "@" not in email or " " in email:
            raise AccessRefused("Informe seu nome e um e-mail válido.")
        if form.role_wanted not in set(Role):
            raise AccessRefused("Escolha um perfil de acesso.")
        if not email_domain_allowed(email, self.context.allowed_email_domains):
            domains = ", ".join(self.context.allowed_email_domains)
            raise AccessRefused(f"Use o e-mail da empresa ({domains}).")
        if await AuthService(self.session).repo.user_by_email(email) is not None:
            raise AccessRefused("Este e-mail já tem acesso ao Atende.")
        if await self.repo.pending_request_for(email) is not None:
            raise AccessRefused("Já existe um pedido em análise para este e-mail.")
        request = AccessRequest(
            name=form.name.strip(),
            email=email,
            team=form.team.strip(),
            role_wanted=form.role_wanted,
            reason=form.reason.strip(),
            status="pending",
        )
        self.repo.add(request)
        await self.repo.flush()
        self._audit(request, "requested", email, {"role": form.role_wanted, "team": request.team})
        return request

    async def approve(
        self,
        request_id: int,
        admin: str,
        role: Role | None = None,
        note: str = "",
        *,
        sso: bool = False,
    ) -> AccessRequest:
        """Without SSO the new account has no password, so the e-mail carries a one-time link
        to set one; with SSO the person signs in with the company account."""
        request = await self._pending(request_id)
        granted = role or Role(request.role_wanted)
        if not email_domain_allowed(request.email, self.context.allowed_email_domains):
            raise Problem(409, "Conflict", "the e-mail's domain is no longer allowed")
        try:
            user = await AuthService(self.session).create_user(
                request.email, granted, display_name=request.name
            )
        except AuthError as exc:
            raise Problem(409, "Conflict", str(exc)) from None
        self._decide(request, "approved", admin, note)
        request.user_id = user.id
        self._audit(request, "approved", admin, {"role": granted.value, "user_id": user.id})
        how = await self._how_to_sign_in(user, sso)
        self._tell(
            request,
            "Seu acesso ao Atende foi aprovado",
            f"Olá, {request.name}.\n\nSeu acesso ao Atende foi aprovado com o perfil "
            f"{ROLE_LABELS[granted]}. {how}{_note(note)}",
        )
        return request

    async def _how_to_sign_in(self, user: User, sso: bool) -> str:
        base = self.context.public_url
        if sso or user.password_hash:
            return f"Entre em {base}/login com a sua conta da empresa."
        token, expires_at = await PasswordSetup(self.session).issue(user.id, self.context.clock())
        until = local_time(expires_at, self.context.settings.timezone)
        return (
            f"Para entrar, crie a sua senha neste link (vale uma vez, até {until}):\n"
            f"{base}{PASSWORD_SETUP_PATH}/{token}\n\nDepois, entre em {base}/login."
        )

    async def deny(self, request_id: int, admin: str, note: str) -> AccessRequest:
        request = await self._pending(request_id)
        self._decide(request, "denied", admin, note)
        self._audit(request, "denied", admin, {"note": note})
        self._tell(
            request,
            "Seu pedido de acesso ao Atende",
            f"Olá, {request.name}.\n\nSeu pedido de acesso ao Atende não foi aprovado."
            + _note(note),
        )
        return request

    async def _pending(self, request_id: int) -> AccessRequest:
        request = await self.repo.access_request(request_id)
        if request is None:
            raise Problem(404, "Not found", f"no access request {request_id}")
        if request.status != "pending":
            raise Problem(409, "Conflict", f"the request was already {request.status}")
        return request

    def _decide(self, request: AccessRequest, status: str, admin: str, note: str) -> None:
        request.status = status
        request.decided_by = admin
        request.decided_at = self.context.clock()
        request.decision_note = note or None

    def _tell(self, request: AccessRequest, subject: str, body: str) -> None:
        self.repo.add(
            Notification(
                channel="email",
                recipient=request.email,
                subject=subject,
                body=body,
                next_attempt_at=self.context.clock(),
            )
        )
        self._audit(request, "notified", "atende", {"subject": subject})

    def _audit(
        self, request: AccessRequest, action: str, actor: str, data: dict[str, object]
    ) -> None:
        self.repo.add(
            AuditEntry(
                subject=f"access_request:{request.id}", action=action, actor=actor, data=data
            )
        )


def _note(note: str) -> str:
    return f"\n\nObservação: {note}" if note else ""

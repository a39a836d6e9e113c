"""Single sign-on through an OpenID Connect provider (Google Workspace, Entra ID, Keycloak…).

authlib speaks the protocol (discovery, PKCE, code exchange, ID-token signature, nonce and
audience checks). What is ours: the configuration from the environment, and where the
flow's secrets wait between the redirect and the callback. Atende has no server-side session
before sign-in, so they travel in a short-lived cookie sealed with the node's secret key:
a callback whose state does not match the cookie of the browser that started the flow is
refused (RFC 6749 §10.12)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError

FLOW_COOKIE = "atende_oidc"
FLOW_LIFETIME_SECONDS = 600


class SsoError(Exception):
    """The provider's answer cannot sign anyone in; the message names why, for the log."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scope: str = "openid email profile"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OidcSettings | None:
        """None unless issuer, client id and secret are all set: SSO is off by default."""
        env = os.environ if environ is None else environ
        issuer = env.get("ATENDE_OIDC_ISSUER", "").strip().rstrip("/")
        client_id = env.get("ATENDE_OIDC_CLIENT_ID", "").strip()
        secret = env.get("ATENDE_OIDC_CLIENT_SECRET", "").strip()
        if not (issuer and client_id and secret):
            return None
        return cls(issuer=issuer, client_id=client_id, client_secret=secret)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@dataclass(frozen=True)
class FlowStart:
    """Where to send the browser, and what must come back with it."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    email: str
    name: str
    subject: str


class OidcLogin:
    def __init__(
        self, settings: OidcSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        client_kwargs: dict[str, Any] = {
            "scope": settings.scope,
            "code_challenge_method": "S256",
        }
        if transport is not None:
            client_kwargs["transport"] = transport
        self._app: Any = _oauth_registry().register(
            "atende",
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=settings.metadata_url,
            client_kwargs=client_kwargs,
        )

    async def start(self, redirect_uri: str) -> FlowStart:
        try:
            started = await self._app.create_authorization_url(redirect_uri)
        except (httpx.HTTPError, OAuthError, KeyError, ValueError) as error:
            raise SsoError(f"the identity provider cannot be reached: {error}") from error
        return FlowStart(
            url=started["url"],
            state=started["state"],
            nonce=started["nonce"],
            code_verifier=started["code_verifier"],
        )

    async def finish(
        self, code: str, redirect_uri: str, nonce: str, code_verifier: str
    ) -> Identity:
        """Exchange the code and check the ID token; only a verified e-mail identifies a user."""
        try:
            token = await self._app.fetch_access_token(
                redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
            )
            claims = await self._app.parse_id_token(token, nonce=nonce)
        except (httpx.HTTPError, OAuthError, ValueError, KeyError) as error:
            raise SsoError(f"the identity provider's answer was refused: {error}") from error
        except Exception as error:  # joserfc raises its own errors for bad signatures/claims
            raise SsoError(f"the ID token was refused: {error}") from error
        if claims is None:
            raise SsoError("the identity provider sent no ID token")
        email = str(claims.get("email") or "").strip().lower()
        if not email or claims.get("email_verified") is False:
            raise SsoError("the ID token carries no verified e-mail")
        return Identity(email=email, name=str(claims.get("name") or ""), subject=claims["sub"])


def _oauth_registry() -> Any:
    """Imported only when SSO is configured. authlib warns that it would rather drive `httpx2`,
    a package we do not use; its `httpx` path is the supported fallback, so that one warning
    is silenced here and nowhere else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.starlette_client import OAuth

    return OAuth()


def seal(data: Mapping[str, Any], key: str, now: float | None = None) -> str:
    """Sign `data` with an expiry so the browser can carry it but not change it."""
    body = {**data, "exp": (now if now is not None else time.time()) + FLOW_LIFETIME_SECONDS}
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).decode()
    return f"{payload}.{_signature(payload, key)}"


def unseal(value: str, key: str, now: float | None = None) -> dict[str, Any] | None:
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(signature, _signature(payload, key)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("exp", 0) < (now if now is not None else time.time()):
        return None
    return data


def _signature(payload: str, key: str) -> str:
    mac = hmac.new(f"oidc-flow:{key}".encode(), payload.encode(), hashlib.sha256)
    return mac.hexdigest()

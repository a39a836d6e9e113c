"""Single sign-on against a local OpenID Connect provider that signs real RS256 ID tokens:
discovery, PKCE, the state cookie, the nonce, and the company's domain rule."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from atende.auth.models import Role
from atende.auth.oidc import OidcLogin, OidcSettings
from atende.auth.service import AuthService
from atende.deps import SESSION_COOKIE

ISSUER = "https://idp.corretora.example"
CLIENT_ID = "atende-desk"


@dataclass
class FakeProvider:
    """Speaks the provider side of the authorization-code flow for one pending login."""

    email: str = "ana@corretora.com.br"
    verified: bool = True
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    grants: dict[str, tuple[str, str]] = field(default_factory=dict)
    tokens_issued: int = 0

    def approve(self, authorize_url: str) -> str:
        """The person signed in at the provider: returns the code the browser brings back."""
        query = parse_qs(urlsplit(authorize_url).query)
        code = f"code-{len(self.grants)}"
        self.grants[code] = (query["nonce"][0], query["code_challenge"][0])
        return code

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if request.url.path == "/jwks":
            return httpx.Response(200, json=KeySet([self.key]).as_dict(private=False))
        if request.url.path == "/token":
            return self._token(parse_qs(request.content.decode()))
        return httpx.Response(404)

    def _token(self, form: dict[str, list[str]]) -> httpx.Response:
        nonce, challenge = self.grants.pop(form["code"][0], (None, None))
        verifier = form.get("code_verifier", [""])[0].encode()
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if nonce is None or expected.decode() != challenge:
            return httpx.Response(400, json={"error": "invalid_grant"})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": self.email,
            "email_verified": self.verified,
            "name": "Ana Souza",
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        self.tokens_issued += 1
        return httpx.Response(
            200,
            json={
                "access_token": "at",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
        )


@pytest.fixture
def provider(app: FastAPI) -> Iterator[FakeProvider]:
    fake = FakeProvider()
    settings = OidcSettings(issuer=ISSUER, client_id=CLIENT_ID, client_secret="segredo")
    app.state.runtime.services["oidc"] = OidcLogin(
        settings, transport=httpx.MockTransport(fake.handle)
    )
    yield fake
    app.state.runtime.services.pop("oidc", None)


async def _add_agent(app: FastAPI, email: str) -> None:
    async with app.state.runtime.sessions() as session:
        await AuthService(session).create_user(email, Role.AGENT, worker_sid="WK" + "2" * 32)
        await session.commit()


async def _round_trip(client: httpx.AsyncClient, provider: FakeProvider) -> httpx.Response:
    started = await client.get("/login/sso")
    assert started.status_code == 302
    authorize_url = started.headers["location"]
    assert authorize_url.startswith(f"{ISSUER}/authorize?")
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    code = provider.approve(authorize_url)
    return await client.get(f"/login/sso/callback?code={code}&state={state}")


async def test_the_sign_in_page_offers_sso_only_when_configured(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert 'href="/login/sso' not in (await client.get("/login")).text
    assert (await client.get("/login/sso")).status_code == 404
    app.state.runtime.services["oidc"] = object()
    page = (await client.get("/login")).text
    assert 'href="/login/sso' in page and "Entrar com a conta da empresa (SSO)" in page


async def test_a_known_user_signs_in_through_the_provider(
    app: FastAPI, client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    await _add_agent(app, "ana@corretora.com.br")
    finished = await _round_trip(client, provider)
    assert finished.status_code == 303
    assert finished.headers["location"] == "/agent"
    assert SESSION_COOKIE in finished.headers["set-cookie"]
    assert (await client.get("/agent")).status_code == 200


async def test_a_callback_from_another_browser_is_refused(
    app: FastAPI, client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    await _add_agent(app, "ana@corretora.com.br")
    started = await client.get("/login/sso")
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    code = provider.approve(started.headers["location"])
    client.cookies.clear()
    refused = await client.get(f"/login/sso/callback?code={code}&state={state}")
    assert refused.headers["location"] == "/login?error=sso"
    assert provider.tokens_issued == 0


async def test_an_unverified_email_is_refused(
    app: FastAPI, client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    await _add_agent(app, "ana@corretora.com.br")
    provider.verified = False
    refused = await _round_trip(client, provider)
    assert refused.headers["location"] == "/login?error=sso"


async def test_someone_without_an_atende_user_is_turned_away(
    app: FastAPI, client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    provider.email = "estranho@corretora.com.br"
    refused = await _round_trip(client, provider)
    assert "error=unknown" in refused.headers["location"]
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


async def test_a_user_from_another_domain_is_refused_even_when_known(
    app: FastAPI, client: httpx.AsyncClient, provider: FakeProvider
) -> None:
    runtime = app.state.runtime
    runtime.settings = replace(runtime.settings, allowed_email_domains=("corretora.com.br",))
    await _add_agent(app, "ana@gmail.com")
    provider.email = "ana@gmail.com"
    refused = await _round_trip(client, provider)
    assert refused.status_code == 303
    assert "error=domain" in refused.headers["location"]
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    page = await client.get(refused.headers["location"])
    assert "não pertence a um domínio autorizado" in page.text
    assert (await client.get("/agent")).status_code == 303

"""Organisation sign-in over OpenID Connect, against a real provider (oidc-provider on node):
the code flow with PKCE maps one identity to one account, and every forged or stale piece of a
sign-in is refused with its own error."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from playwright.async_api import Browser, expect
from redis.asyncio import Redis

from server.domain.accounts.oidc import OidcRefused, verify_id_token
from server.runtime.clock import ManualClock
from server.store import keys
from server.store.embedded import free_port
from tests.accounts_helpers import api
from tests.browser import launch, screenshot
from tests.conftest import RunningServer, ServerFactory
from tests.oidc_provider import (
    ALICE,
    CLIENT_ID,
    CLIENT_SECRET,
    EVE,
    MALLORY,
    OSCAR,
    Provider,
    log_in_at_provider,
    oidc_provider,
    signing_key,
)

SsoServer = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def sso_server(start_server: ServerFactory) -> AsyncIterator[SsoServer]:
    """A mentorburst server configured for a real provider started just for it."""
    async with AsyncExitStack() as stack:

        async def start(users: tuple[dict[str, Any], ...] = (), **overrides: Any) -> RunningServer:
            port = free_port()
            server = await start_server(
                oidc_issuer=f"http://127.0.0.1:{port}",
                oidc_client_id=CLIENT_ID,
                oidc_client_secret=CLIENT_SECRET,
                oidc_label="Test Org",
                **overrides,
            )
            callback = server.services.config.origin + "/oidc/callback"
            await stack.enter_async_context(oidc_provider([callback], port=port, users=users))
            return server

        yield start


async def sign_in(
    server: RunningServer, user: dict[str, Any] = ALICE, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """The whole flow as the web client drives it: start, the provider's login, finish."""
    _, started = await api(server.url, "POST", "/api/oidc/start", token=token)
    back = await log_in_at_provider(started["authorize_url"], user)
    return await api(
        server.url,
        "POST",
        "/api/oidc/finish",
        body={"state": back["state"], "code": back["code"], "binding": started["binding"]},
    )


async def test_oidc_sign_in_maps_one_identity_to_one_account(
    sso_server: SsoServer, redis: Redis
) -> None:
    server = await sso_server()
    status, config = await api(server.url, "GET", "/api/auth/config")
    assert config["sso"] == {"label": "Test Org"} and config["guests"] is True

    _, started = await api(server.url, "POST", "/api/oidc/start")
    query = parse_qs(urlsplit(started["authorize_url"]).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [server.services.config.origin + "/oidc/callback"]

    status, first = await sign_in(server)
    assert status == 200, first
    assert first["outcome"] == "created" and first["user"]["name"] == "Alice Example"
    status, again = await sign_in(server)
    assert (status, again["outcome"]) == (200, "existing")
    assert again["user"]["id"] == first["user"]["id"]

    _, me = await api(server.url, "GET", "/api/me", token=again["token"])
    assert me["kind"] == "sso" and me["kept"] is True
    assert me["sso"] == {"issuer": server.services.config.oidc_issuer, "email": ALICE["email"]}
    assert await redis.ttl(keys.user(me["id"])) == -1  # kept: never expires


async def test_oidc_name_with_line_breaks_and_bidi_overrides_is_cleaned(
    sso_server: SsoServer,
) -> None:
    trudy = {
        "login": "trudy",
        "password": "mirror",
        "sub": "trudy-0003",
        "name": "\u202eTrudy\r\nURL:https://evil.example\u2069",
        "email": "trudy@example.org",
        "email_verified": True,
    }
    server = await sso_server(users=(trudy,))
    status, answer = await sign_in(server, trudy)
    assert status == 200 and answer["outcome"] == "created"
    assert answer["user"]["name"] == "Trudy URL:https://evil.example"
    _, me = await api(server.url, "GET", "/api/me", token=answer["token"])
    assert me["name"] == "Trudy URL:https://evil.example"


async def test_oidc_keeps_a_guest_account_by_linking_it(sso_server: SsoServer) -> None:
    server = await sso_server()
    _, guest = await api(server.url, "POST", "/api/login", body={"name": "Ali"})
    status, linked = await sign_in(server, token=guest["token"])
    assert (status, linked["outcome"]) == (200, "linked")
    assert linked["user"] == {"id": guest["user"]["id"], "name": "Ali"}
    _, me = await api(server.url, "GET", "/api/me", token=linked["token"])
    assert me["kind"] == "sso" and me["sso"]["email"] == ALICE["email"]


async def test_oidc_refuses_a_tampered_state_a_replay_and_another_browser(
    sso_server: SsoServer,
) -> None:
    server = await sso_server()
    _, started = await api(server.url, "POST", "/api/oidc/start")
    back = await log_in_at_provider(started["authorize_url"])
    finish = {"state": back["state"], "code": back["code"], "binding": started["binding"]}
    for forged in ({"state": back["state"] + "x"}, {"binding": "not-this-browser"}):
        status, answer = await api(
            server.url, "POST", "/api/oidc/finish", body={**finish, **forged}
        )
        assert (status, answer["error"]["code"]) == (400, "oidc_state"), forged
        assert "Start the sign-in again" in answer["error"]["message"]
    # each refusal above consumed nothing but the forged state; a real browser-less replay of a
    # finished flow is refused too
    _, started = await api(server.url, "POST", "/api/oidc/start")
    back = await log_in_at_provider(started["authorize_url"])
    finish = {"state": back["state"], "code": back["code"], "binding": started["binding"]}
    assert (await api(server.url, "POST", "/api/oidc/finish", body=finish))[0] == 200
    status, answer = await api(server.url, "POST", "/api/oidc/finish", body=finish)
    assert (status, answer["error"]["code"]) == (400, "oidc_state")


async def test_oidc_refuses_a_wrong_nonce(sso_server: SsoServer, redis: Redis) -> None:
    server = await sso_server()
    _, started = await api(server.url, "POST", "/api/oidc/start")
    back = await log_in_at_provider(started["authorize_url"])
    # The fault a real provider won't produce: the ID token answers another sign-in's nonce.
    await redis.hset(keys.oidc_flow(back["state"]), "nonce", "a-different-nonce")
    status, answer = await api(
        server.url,
        "POST",
        "/api/oidc/finish",
        body={"state": back["state"], "code": back["code"], "binding": started["binding"]},
    )
    assert (status, answer["error"]["code"]) == (400, "oidc_nonce")
    assert "nonce" in answer["error"]["message"]


async def test_oidc_refuses_an_expired_id_token(sso_server: SsoServer) -> None:
    # The server's clock is two hours ahead: the provider's fresh ID token (10 min) is stale.
    later = ManualClock(time.time_ns() // 1_000_000 + 2 * 3600 * 1000)
    server = await sso_server(clock=later)
    status, answer = await sign_in(server)
    assert (status, answer["error"]["code"]) == (400, "oidc_expired")
    assert "expired" in answer["error"]["message"]


async def test_oidc_refuses_a_code_from_another_sign_in(sso_server: SsoServer) -> None:
    """PKCE: a code is only good with the verifier of the flow that asked for it."""
    server = await sso_server()
    _, first = await api(server.url, "POST", "/api/oidc/start")
    _, second = await api(server.url, "POST", "/api/oidc/start")
    stolen = await log_in_at_provider(first["authorize_url"])
    mine = parse_qs(urlsplit(second["authorize_url"]).query)["state"][0]
    status, answer = await api(
        server.url,
        "POST",
        "/api/oidc/finish",
        body={"state": mine, "code": stolen["code"], "binding": second["binding"]},
    )
    assert (status, answer["error"]["code"]) == (400, "oidc_provider")


async def test_oidc_allowed_domain_refuses_other_addresses(sso_server: SsoServer) -> None:
    server = await sso_server(oidc_allowed_domains=("example.org",))
    status, answer = await sign_in(server, MALLORY)
    assert (status, answer["error"]["code"]) == (403, "oidc_domain")
    assert "@example.org" in answer["error"]["message"]
    status, answer = await sign_in(server, ALICE)
    assert status == 200


async def test_oidc_never_keeps_an_email_the_provider_did_not_verify(
    sso_server: SsoServer,
) -> None:
    server = await sso_server()
    for person in (EVE, OSCAR):
        status, signed_in = await sign_in(server, person)
        assert (status, signed_in["outcome"]) == (200, "created"), signed_in
        assert signed_in["user"]["name"] == person["name"]
        _, me = await api(server.url, "GET", "/api/me", token=signed_in["token"])
        assert me["sso"] == {"issuer": server.services.config.oidc_issuer, "email": ""}
    status, alice = await sign_in(server, ALICE)
    _, me = await api(server.url, "GET", "/api/me", token=alice["token"])
    assert me["sso"]["email"] == ALICE["email"]  # a verified one is kept


async def test_oidc_allowed_domain_refuses_an_unverified_address_in_it(
    sso_server: SsoServer,
) -> None:
    server = await sso_server(oidc_allowed_domains=("example.org",))
    for person in (EVE, OSCAR):
        status, answer = await sign_in(server, person)
        assert (status, answer["error"]["code"]) == (403, "oidc_domain"), (person, answer)
        assert "verified" in answer["error"]["message"]
    status, answer = await sign_in(server, ALICE)
    assert status == 200, answer


async def test_oidc_required_turns_guests_and_passkeys_off(sso_server: SsoServer) -> None:
    server = await sso_server(oidc_required=True)
    _, config = await api(server.url, "GET", "/api/auth/config")
    assert config["guests"] is False and config["passkeys"] is False
    status, answer = await api(server.url, "POST", "/api/login", body={"name": "Ada"})
    assert (status, answer["error"]["code"]) == (403, "sso_required")
    status, answer = await api(server.url, "POST", "/api/passkeys/signin/options")
    assert (status, answer["error"]["code"]) == (403, "sso_required")
    status, _ = await sign_in(server)
    assert status == 200


async def test_oidc_calls_answer_404_when_no_provider_is_configured(
    server: RunningServer,
) -> None:
    status, answer = await api(server.url, "POST", "/api/oidc/start")
    assert (status, answer["error"]["code"]) == (404, "oidc_disabled")
    _, config = await api(server.url, "GET", "/api/auth/config")
    assert config["sso"] is None


# -- the ID token's own checks, on real tokens from real providers -----------------------------


async def real_id_token(provider: Provider, client_id: str = CLIENT_ID) -> dict[str, Any]:
    """A code flow run straight against ``provider``: the token response and the nonce sent."""
    async with AsyncOAuth2Client(
        client_id=client_id,
        client_secret=CLIENT_SECRET,
        scope="openid email profile",
        redirect_uri=provider.redirect_uris[0],
        code_challenge_method="S256",
    ) as session:
        verifier, nonce = "v" * 64, "n-" + str(time.time_ns())
        url, state = session.create_authorization_url(
            f"{provider.issuer}/auth", code_verifier=verifier, nonce=nonce
        )
        back = await log_in_at_provider(url)
        assert back["state"] == state
        token = await session.fetch_token(
            f"{provider.issuer}/token", code=back["code"], code_verifier=verifier
        )
    async with aiohttp.ClientSession() as http, http.get(f"{provider.issuer}/jwks") as response:
        jwks = await response.json()
    return {"token": dict(token), "nonce": nonce, "jwks": jwks}


def check(got: dict[str, Any], **expect: Any) -> dict[str, Any]:
    args = {
        "jwks": got["jwks"],
        "issuer": expect.pop("issuer"),
        "client_id": CLIENT_ID,
        "nonce": got["nonce"],
        "now_s": int(time.time()),
        "algorithms": ["RS256"],
        "access_token": got["token"].get("access_token"),
        **expect,
    }
    return verify_id_token(got["token"]["id_token"], **args)


async def test_oidc_id_token_from_another_issuer_or_for_another_audience_is_refused() -> None:
    key = signing_key()
    callback = ["http://localhost:9/oidc/callback"]
    async with (
        oidc_provider(callback, key=key, extra_clients=("other-app",)) as ours,
        oidc_provider(callback, key=key) as other,
    ):
        good = await real_id_token(ours)
        assert check(good, issuer=ours.issuer)["sub"] == ALICE["sub"]

        foreign = await real_id_token(other)  # same signing key: only `iss` differs
        foreign["jwks"] = good["jwks"]
        with pytest.raises(OidcRefused) as refused:
            check(foreign, issuer=ours.issuer)
        assert refused.value.code == "oidc_issuer"

        elsewhere = await real_id_token(ours, client_id="other-app")
        with pytest.raises(OidcRefused) as refused:
            check(elsewhere, issuer=ours.issuer)
        assert refused.value.code == "oidc_audience"

        with pytest.raises(OidcRefused) as refused:
            check(good, issuer=ours.issuer, now_s=int(time.time()) + 3 * 3600)
        assert refused.value.code == "oidc_expired"

        with pytest.raises(OidcRefused) as refused:
            check(good, issuer=ours.issuer, nonce="another-sign-in")
        assert refused.value.code == "oidc_nonce"

        stranger = {"keys": [{k: v for k, v in signing_key().items() if k in ("kty", "n", "e")}]}
        stranger["keys"][0].update(kid="test-key", alg="RS256", use="sig")
        with pytest.raises(OidcRefused) as refused:
            check({**good, "jwks": stranger}, issuer=ours.issuer)
        assert refused.value.code == "oidc_signature"


# -- in the browser: the provider's real login page, and back ----------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch():
        yield running


@pytest.mark.parametrize(
    ("width_name", "width", "height"), [("desktop", 1280, 860), ("phone", 390, 844)]
)
async def test_oidc_person_signs_in_through_the_provider_login_page(
    sso_server: SsoServer, browser: Browser, width_name: str, width: int, height: int
) -> None:
    server = await sso_server()
    origin = server.services.config.origin
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(origin)
    await expect(page.get_by_role("button", name="Sign in with Test Org")).to_be_visible()
    await screenshot(page, f"oidc-{width_name}-01-landing")

    await page.get_by_role("button", name="Sign in with Test Org").click()
    await expect(page.get_by_role("heading", name="Test Org")).to_be_visible()
    assert page.url.startswith(server.services.config.oidc_issuer or "")
    await page.get_by_label("Username").fill(ALICE["login"])
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    await screenshot(page, f"oidc-{width_name}-02-provider-login-refused")

    await page.get_by_label("Username").fill(ALICE["login"])
    await page.get_by_label("Password").fill(ALICE["password"])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#whoami")).to_have_text("Signed in as Alice Example")
    assert page.url == origin + "/"  # the code and state are gone from the address bar
    await expect(page.locator("#login-welcome")).to_be_visible()
    await screenshot(page, f"oidc-{width_name}-03-back-signed-in")

    await page.get_by_role("button", name="Account", exact=True).click()
    await expect(page.locator("#account-status")).to_contain_text("Organisation account")
    await expect(page.locator("#account-sso")).to_contain_text(ALICE["email"])
    await expect(page.locator("#sso-link")).to_be_hidden()
    await screenshot(page, f"oidc-{width_name}-04-account")
    assert errors == []
    await context.close()


async def test_oidc_required_landing_offers_only_the_organisation(
    sso_server: SsoServer, browser: Browser
) -> None:
    server = await sso_server(oidc_required=True)
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    await page.goto(server.services.config.origin)
    await expect(page.get_by_role("button", name="Sign in with Test Org")).to_be_visible()
    await expect(page.get_by_label("Your name")).to_be_hidden()
    await expect(page.get_by_role("button", name="Get help now")).to_be_hidden()
    await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    await screenshot(page, "oidc-desktop-05-sso-required-landing")
    await context.close()

"""Passkeys: a guest keeps the account with one, clears the browser, and signs in again to the
same history and reputation; several passkeys, one removed. Chromium with a CDP virtual
authenticator (resident keys, user verification) plays the person's device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, CDPSession, Page, expect

from peer.client import MentorburstClient
from tests.accounts_helpers import api
from tests.browser import launch, screenshot
from tests.conftest import RunningServer, ServerFactory, Tracebacks
from tests.helpers import finished_call
from tests.soft_authenticator import SoftAuthenticator

VIEWPORTS = {"desktop": (1280, 860), "phone": (390, 844)}
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async for running in launch(fake_media=True):
        yield running


def local_url(server: RunningServer) -> str:
    """The origin the server is set up for: WebAuthn refuses an IP address as relying party."""
    return server.services.config.origin


async def device(page: Page) -> tuple[CDPSession, str]:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, str(added["authenticatorId"])


async def token_of(page: Page) -> str:
    return str(await page.evaluate("localStorage.getItem('mentorburst.token')"))


async def shot(page: Page, width_name: str, step: str) -> None:
    await screenshot(page, f"passkey-{width_name}-{step}")


@pytest.mark.parametrize("width_name", ["desktop", "phone"])
async def test_passkey_keeps_a_guest_account_across_a_cleared_browser(
    start_server: ServerFactory, browser: Browser, width_name: str
) -> None:
    server = await start_server()
    width, height = VIEWPORTS[width_name]
    context: BrowserContext = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(local_url(server))
    cdp, first_device = await device(page)
    await shot(page, width_name, "01-landing")

    # A guest mentors a call (through a bot using the same account) and earns a rating.
    await page.get_by_label("Your name").fill("Grace")
    await page.get_by_role("button", name="Mentor now").click()
    await expect(page.locator("#view-setup")).to_be_visible()
    grace = MentorburstClient(server.url)
    await grace.resume(await token_of(page))
    await grace.connect()
    ada = MentorburstClient(server.url)
    await ada.login("Ada")
    await ada.connect()
    sid = await finished_call(grace, ada)
    await ada.must("rate", {"session_id": sid, "stars": 5, "tags": ["clear"]})
    await grace.close()
    await ada.close()
    user_id = grace.user_id
    _, before = await api(server.url, "GET", f"/api/users/{user_id}")
    assert before["rating"]["count"] == 1 and before["sessions"] == 1

    # Keep the account with a passkey, from the account page.
    await page.get_by_role("button", name="Keep my account").click()
    await expect(page.locator("#view-account")).to_be_visible()
    await expect(page.locator("#account-status")).to_contain_text("Guest account")
    await shot(page, width_name, "02-account-guest")
    await page.get_by_label("Name for a new passkey").fill("Laptop")
    await page.get_by_role("button", name="Keep my account with a passkey").click()
    await expect(page.locator("#account-passkeys li")).to_have_count(1)
    await expect(page.locator("#account-passkeys")).to_contain_text("Laptop")
    await expect(page.locator("#account-status")).to_contain_text("Kept with a passkey")
    await expect(page.locator("#nav-keep")).to_be_hidden()
    await shot(page, width_name, "03-account-kept")

    # A second passkey on another device (a phone or a security key).
    laptop = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": first_device})
    await cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first_device})
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    second_device = str(added["authenticatorId"])
    await page.get_by_label("Name for a new passkey").fill("Security key")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#account-passkeys li")).to_have_count(2)
    await shot(page, width_name, "04-two-passkeys")

    # Remove the security key's passkey: it no longer signs anyone in.
    await page.get_by_role("button", name="Remove passkey Security key").click()
    await expect(page.locator("#account-passkeys li")).to_have_count(1)
    await expect(page.locator("#account-passkeys")).not_to_contain_text("Security key")
    # The last one cannot go: it is the only way back in.
    await page.get_by_role("button", name="Remove passkey Laptop").click()
    await expect(page.locator("#account-signin-error")).to_contain_text("only way back")
    await shot(page, width_name, "05-last-passkey-kept")

    # Clear the browser: the next visit knows nobody.
    await page.evaluate("localStorage.clear(); sessionStorage.clear()")
    await context.clear_cookies()
    await page.goto(local_url(server))
    await expect(page.get_by_label("Your name")).to_be_visible()
    await expect(page.locator("#whoami")).to_have_text("")
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.locator("#signin-error")).to_contain_text("isn't registered here any more")
    await shot(page, width_name, "06-removed-passkey-refused")

    # Back on the laptop: its passkey signs Grace in, with her history and reputation.
    await cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": second_device})
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    for credential in laptop["credentials"]:
        await cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": added["authenticatorId"], "credential": credential},
        )
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.locator("#whoami")).to_have_text("Signed in as Grace")
    await expect(page.locator("#login-welcome")).to_contain_text("Welcome back, Grace")
    await shot(page, width_name, "07-signed-in-again")
    assert await page.evaluate("JSON.parse(localStorage.getItem('mentorburst.user')).id") == user_id
    await page.get_by_role("button", name="My sessions").click()
    await expect(page.locator("#history-list li")).to_have_count(1)
    await expect(page.locator("#history-list")).to_contain_text("You mentored Ada")
    await expect(page.locator("#history-list")).to_contain_text("You got: ★★★★★")
    await shot(page, width_name, "08-same-history")
    _, after = await api(server.url, "GET", f"/api/users/{user_id}")
    assert after["rating"] == before["rating"] and after["sessions"] == 1
    assert errors == []
    await context.close()


async def test_passkey_ceremonies_refuse_forgeries_and_replays(server: RunningServer) -> None:
    _, guest = await api(server.url, "POST", "/api/login", body={"name": "Ada"})
    token = guest["token"]
    status, begun = await api(server.url, "POST", "/api/passkeys/register/options", token=token)
    assert status == 200
    options: dict[str, Any] = begun["options"]
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"

    forged = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "e30", "attestationObject": "oA"},
    }
    body = {"ceremony_id": begun["ceremony_id"], "credential": forged}
    status, answer = await api(server.url, "POST", "/api/passkeys/register", token=token, body=body)
    assert (status, answer["error"]["code"]) == (400, "passkey_invalid")
    # used once: the same ceremony cannot be tried again
    status, answer = await api(server.url, "POST", "/api/passkeys/register", token=token, body=body)
    assert (status, answer["error"]["code"]) == (400, "passkey_ceremony")

    # someone else's registration ceremony is not yours to finish
    _, other = await api(server.url, "POST", "/api/login", body={"name": "Eve"})
    _, theirs = await api(server.url, "POST", "/api/passkeys/register/options", token=token)
    body = {"ceremony_id": theirs["ceremony_id"], "credential": forged}
    status, answer = await api(
        server.url, "POST", "/api/passkeys/register", token=other["token"], body=body
    )
    assert (status, answer["error"]["code"]) == (400, "passkey_ceremony")

    _, signin = await api(server.url, "POST", "/api/passkeys/signin/options")
    assert signin["options"]["allowCredentials"] == []
    body = {"ceremony_id": signin["ceremony_id"], "credential": {**forged, "id": "bm9wZQ"}}
    status, answer = await api(server.url, "POST", "/api/passkeys/signin", body=body)
    assert (status, answer["error"]["code"]) == (401, "passkey_unknown")

    status, answer = await api(server.url, "POST", "/api/passkeys/register/options")
    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    status, answer = await api(server.url, "DELETE", "/api/me/passkeys/nope", token=token)
    assert (status, answer["error"]["code"]) == (404, "not_found")


async def test_a_malformed_passkey_answer_is_refused_as_bad_input_not_a_crash(
    server: RunningServer, tracebacks: Tracebacks
) -> None:
    device = SoftAuthenticator(local_url(server))
    _, guest = await api(server.url, "POST", "/api/login", body={"name": "Ada"})
    token = guest["token"]
    _, begun = await api(server.url, "POST", "/api/passkeys/register/options", token=token)
    malformed = {**device.register(begun["options"]), "response": "not an object"}
    body = {"ceremony_id": begun["ceremony_id"], "credential": malformed}
    status, answer = await api(server.url, "POST", "/api/passkeys/register", token=token, body=body)
    assert (status, answer["error"]["code"]) == (400, "invalid_payload"), answer
    _, begun = await api(server.url, "POST", "/api/passkeys/register/options", token=token)
    body = {"ceremony_id": begun["ceremony_id"], "credential": device.register(begun["options"])}
    status, answer = await api(server.url, "POST", "/api/passkeys/register", token=token, body=body)
    assert status == 201, answer

    good = device.sign_in(
        (await api(server.url, "POST", "/api/passkeys/signin/options"))[1]["options"]
    )
    broken_responses: list[Any] = [
        "not an object",
        ["a", "list"],
        42,
        None,
        {**good["response"], "userHandle": 5},
        {**good["response"], "userHandle": {"nested": True}},
        {**good["response"], "clientDataJSON": 5},
        {**good["response"], "authenticatorData": ["x"]},
        {**good["response"], "signature": {"s": 1}},
        {key: value for key, value in good["response"].items() if key != "signature"},
    ]
    for response in broken_responses:
        _, begun = await api(server.url, "POST", "/api/passkeys/signin/options")
        credential = {**device.sign_in(begun["options"]), "response": response}
        body = {"ceremony_id": begun["ceremony_id"], "credential": credential}
        status, answer = await api(server.url, "POST", "/api/passkeys/signin", body=body)
        assert (status, answer["error"]["code"]) == (400, "invalid_payload"), (response, answer)
    # Well-formed but wrong is still the passkey's fault, and the device itself still signs in.
    _, begun = await api(server.url, "POST", "/api/passkeys/signin/options")
    credential = device.sign_in(begun["options"])
    credential["response"]["signature"] = "AAAA"
    body = {"ceremony_id": begun["ceremony_id"], "credential": credential}
    status, answer = await api(server.url, "POST", "/api/passkeys/signin", body=body)
    assert (status, answer["error"]["code"]) == (400, "passkey_invalid"), answer
    _, begun = await api(server.url, "POST", "/api/passkeys/signin/options")
    body = {"ceremony_id": begun["ceremony_id"], "credential": device.sign_in(begun["options"])}
    status, signed_in = await api(server.url, "POST", "/api/passkeys/signin", body=body)
    assert status == 200 and signed_in["user"]["id"] == guest["user"]["id"], signed_in
    assert tracebacks.records == []

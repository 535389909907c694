"""REST for accounts: token renewal, the account page, passkeys, organisation sign-in."""

from __future__ import annotations

from aiohttp import web

from server.domain.accounts.service import Accounts
from server.protocol import inbound as p
from server.rest.requests import authenticated, body, services

routes = web.RouteTableDef()


def accounts(request: web.Request) -> Accounts:
    return services(request).accounts


@routes.get("/api/auth/config")
async def auth_config(request: web.Request) -> web.Response:
    return web.json_response(accounts(request).auth_config())


@routes.post("/api/token/refresh")
async def refresh(request: web.Request) -> web.Response:
    issued = await accounts(request).refresh(authenticated(request))
    return web.json_response(issued.as_dict())


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    a = accounts(request)
    return web.json_response(await a.me(await a.account(authenticated(request))))


@routes.put("/api/me/profile")
async def update_profile(request: web.Request) -> web.Response:
    a = accounts(request)
    account = await a.account(authenticated(request))
    msg = p.parse(p.ProfileUpdate, await body(request))
    profile = await a.profiles.update(
        account, msg.headline, msg.expertise, msg.skills, name=msg.name, wont_cover=msg.wont_cover
    )
    return web.json_response(profile)


@routes.post("/api/me/signout")
async def sign_out(request: web.Request) -> web.Response:
    """This browser only; for a guest (who has no other way back in) that is everywhere."""
    identity = authenticated(request)
    a = accounts(request)
    account = await a.account(identity)
    if account.kind == "guest":
        await a.tokens.revoke_all(identity.user_id)
    else:
        await a.tokens.sign_out(identity)
    return web.json_response({"ok": True})


@routes.post("/api/me/signout-all")
async def sign_out_everywhere(request: web.Request) -> web.Response:
    await accounts(request).tokens.revoke_all(authenticated(request).user_id)
    return web.json_response({"ok": True})


@routes.delete("/api/me")
async def delete_account(request: web.Request) -> web.Response:
    a = accounts(request)
    return web.json_response(await a.delete(await a.account(authenticated(request))))


# -- passkeys ----------------------------------------------------------------------------------


@routes.post("/api/passkeys/register/options")
async def passkey_register_options(request: web.Request) -> web.Response:
    a = accounts(request)
    a.require_guests_allowed()
    account = await a.account(authenticated(request))
    return web.json_response(await a.passkeys.registration_options(account))


@routes.post("/api/passkeys/register")
async def passkey_register(request: web.Request) -> web.Response:
    a = accounts(request)
    a.require_guests_allowed()
    account = await a.account(authenticated(request))
    msg = p.parse(p.Ceremony, await body(request))
    passkey, kind = await a.passkeys.register(account, msg.ceremony_id, msg.credential, msg.label)
    return web.json_response({"passkey": passkey.public(), "kind": kind}, status=201)


@routes.delete("/api/me/passkeys/{credential_id}")
async def passkey_remove(request: web.Request) -> web.Response:
    a = accounts(request)
    account = await a.account(authenticated(request))
    await a.store.remove_passkey(account.id, request.match_info["credential_id"])
    return web.json_response({"passkeys": [k.public() for k in await a.store.passkeys(account.id)]})


@routes.post("/api/passkeys/signin/options")
async def passkey_signin_options(request: web.Request) -> web.Response:
    a = accounts(request)
    a.require_guests_allowed()
    return web.json_response(await a.passkeys.signin_options())


@routes.post("/api/passkeys/signin")
async def passkey_signin(request: web.Request) -> web.Response:
    a = accounts(request)
    a.require_guests_allowed()
    msg = p.parse(p.Ceremony, await body(request))
    user_id = await a.passkeys.signin(msg.ceremony_id, msg.credential)
    return web.json_response((await a.tokens.issue(user_id)).as_dict())


# -- organisation sign-in ----------------------------------------------------------------------


@routes.post("/api/oidc/start")
async def oidc_start(request: web.Request) -> web.Response:
    """With a Bearer token the organisation identity is linked to that account (keep it)."""
    a = accounts(request)
    sso = a.require_sso()
    link = authenticated(request).user_id if "Authorization" in request.headers else None
    return web.json_response(await sso.start(link))


@routes.post("/api/oidc/finish")
async def oidc_finish(request: web.Request) -> web.Response:
    a = accounts(request)
    sso = a.require_sso()
    msg = p.parse(p.OidcFinish, await body(request))
    signed_in = await sso.finish(msg.state, msg.code, msg.binding)
    issued = await a.tokens.issue(signed_in.user_id)
    return web.json_response({**issued.as_dict(), "outcome": signed_in.outcome})

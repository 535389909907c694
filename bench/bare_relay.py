"""The baseline for the signal relay: a bare python-socketio server on the same stack (aiohttp,
uvloop, the same library version), with no auth, no Redis and no checks. A socket connects with
``auth: {"token": KEY}``; the two sockets that give the same key are partners, and a ``signal``
from one is forwarded to the other and acknowledged ``{"ok": true}``.
``python -m bench.bare_relay --port N``; ``/healthz`` answers when it is up."""

from __future__ import annotations

import argparse
from typing import Any

import socketio
from aiohttp import web

from server.app.serve import tune_gc, use_uvloop


def build() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)
    waiting: dict[str, str] = {}
    partner: dict[str, str] = {}

    @sio.event  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        key = str((auth or {}).get("token", ""))
        other = waiting.pop(key, None)
        if other is None:
            waiting[key] = sid
        else:
            partner[sid], partner[other] = other, sid

    @sio.event  # type: ignore[untyped-decorator]
    async def disconnect(sid: str, *args: Any) -> None:
        other = partner.pop(sid, None)
        if other is not None:
            partner.pop(other, None)

    @sio.on("signal")  # type: ignore[untyped-decorator]
    async def signal(sid: str, data: Any) -> dict[str, Any]:
        other = partner.get(sid)
        if other is not None:
            await sio.emit("signal", data, to=other)
        return {"ok": True}

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    tune_gc()  # the same process tuning mentorburst serve gets: compare the code, not GC settings
    use_uvloop()
    web.run_app(build(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()

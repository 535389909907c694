"""``mentorburst``: the console entry point."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from server.runtime.config import add_serve_arguments, config_from


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="mentorburst", description="Real-time video micro-mentoring."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="run the server (embedded Redis unless --redis-url)"
    )
    add_serve_arguments(serve_parser)
    bot = commands.add_parser(
        "bot",
        help="a Python mentor or mentee that takes real calls",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    bot.add_argument("--role", choices=["mentor", "mentee"], required=True)
    bot.add_argument("--skill", required=True, help="skill slug, e.g. python")
    bot.add_argument("--url", default="http://127.0.0.1:8080", help="the mentorburst server")
    bot.add_argument("--media", default="test-pattern", help="test-pattern, tone, or a media file")
    bot.add_argument("--sessions", type=int, default=1, help="calls to take before leaving")
    bot.add_argument("--rate", type=int, default=5, choices=range(1, 6), help="stars to give")
    bot.add_argument("--name", help="display name")
    bot.add_argument("--minutes", type=int, default=60, help="mentor burst length")
    bot.add_argument(
        "--token-file",
        type=Path,
        help="keep one account across runs: its token is read from (and renewed into) this file",
    )
    doctor = commands.add_parser(
        "doctor", help="audit the invariants in Redis; exit 1 on violations (read-only)"
    )
    doctor.add_argument("--redis-url", help="Redis URL (env REDIS_URL); default: the embedded one")
    doctor.add_argument("--data-dir", type=Path, default=Path(".mentorburst"))
    doctor.add_argument("--repair", action="store_true", help="repair what the audit finds")
    doctor.add_argument(
        "--history", action="store_true", help="also check nobody was ever in two calls at once"
    )
    admin = commands.add_parser(
        "admin", help="grant or revoke the admin role (program analytics), or list admins"
    )
    admin.add_argument("action", choices=["grant", "revoke", "list"])
    admin.add_argument("user", nargs="?", help="the account's user id (u_...)")
    admin.add_argument("--redis-url", help="Redis URL (env REDIS_URL); default: the embedded one")
    admin.add_argument("--data-dir", type=Path, default=Path(".mentorburst"))
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "serve":
        from server.app.serve import serve
        from server.runtime import logs

        config = config_from(args, os.environ)
        logs.configure(config.log_level, config.log_format)
        serve(config)
    elif args.command == "doctor":
        from server.app.doctor import doctor as run_doctor

        status = asyncio.run(
            run_doctor(
                args.redis_url or os.environ.get("REDIS_URL"),
                args.data_dir,
                fix=args.repair,
                history=args.history,
                say=lambda line: print(line, flush=True),
            )
        )
        sys.exit(status)
    elif args.command == "admin":
        from server.domain.program.admin import admin_command

        if args.action != "list" and not args.user:
            parser.error(f"admin {args.action} needs a user id")
        sys.exit(
            asyncio.run(
                admin_command(
                    args.action,
                    args.user,
                    args.redis_url or os.environ.get("REDIS_URL"),
                    args.data_dir,
                    say=lambda line: print(line, flush=True),
                )
            )
        )
    elif args.command == "bot":
        from peer.bot import Bot, BotOptions
        from peer.token_file import TokenFileError

        logging.basicConfig(level=logging.WARNING)
        options = BotOptions(
            role=args.role,
            skill=args.skill,
            url=args.url,
            media=args.media,
            sessions=args.sessions,
            rate=args.rate,
            name=args.name,
            minutes=args.minutes,
            token_file=args.token_file,
        )
        try:
            asyncio.run(Bot(options, say=lambda line: print(line, flush=True)).run())
        except TokenFileError as exc:
            sys.exit(f"mentorburst bot: {exc}")

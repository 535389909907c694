"""``mentorburst``: the console entry point."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from aiohttp import web

from server.config import add_serve_arguments, config_from


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="mentorburst", description="Real-time video micro-mentoring."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (embedded Redis unless --redis-url)")
    add_serve_arguments(serve)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "serve":
        from server.app import create_app

        config = config_from(args, os.environ)
        logging.basicConfig(
            level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        print(f"mentorburst serving on http://{config.host}:{config.port}/", flush=True)
        web.run_app(create_app(config), host=config.host, port=config.port, print=None)

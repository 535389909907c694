"""``mentorburst serve``: one process, or a parent and ``--workers N`` forked full nodes sharing
one listening socket.

Each worker is a node as any other (its own node id, presence, timers, pub/sub), all on the same
Redis. The parent binds the socket before forking, so the kernel hands each new connection to
whichever worker accepts first, and a worker that drains on SIGTERM simply stops accepting: the
connections still queued go to the others. The parent starts the embedded Redis when no
``--redis-url`` is given, waits until every worker serves before printing ``serving on``,
restarts a worker that dies, and on SIGTERM/SIGINT drains them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from server.runtime.config import Config

log = logging.getLogger(__name__)

DRAIN_SECONDS = 20.0
READY_TIMEOUT_SECONDS = 120.0


def tune_gc() -> None:
    """Each message allocates a few dozen short-lived objects; with thousands of sockets alive,
    CPython's default thresholds (700 allocations) run young collections so often, and full ones
    over such a heap, that the match benchmark spent most of its time in them. Collect young
    objects 50x less often; a full pass still runs after 10 of those."""
    gc.freeze()  # what start-up built lives for the process
    gc.set_threshold(50_000, 20, 10)


def use_uvloop() -> None:
    """uvloop where it is installed (Linux, macOS): the event loop is most of a message's cost."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def listen_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The listening socket, bound once; ``backlog`` is how many finished handshakes may wait
    for ``accept`` (a reconnect storm fills it while the event loop is busy)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def announce(config: Config, workers: int = 1) -> None:
    extra = f", {workers} workers" if workers > 1 else ""
    print(
        f"mentorburst serving on {config.origin}/ (bound to {config.host}:{config.port}{extra})",
        flush=True,
    )


def run_node(config: Config, sock: socket.socket, on_ready: Any) -> None:
    """One full node on ``sock`` until SIGTERM/SIGINT; ``on_ready`` once it accepts."""
    from aiohttp import web

    from server.app.factory import create_app

    tune_gc()
    use_uvloop()
    web.run_app(
        create_app(config),
        sock=sock,
        backlog=config.listen_backlog,
        shutdown_timeout=DRAIN_SECONDS,
        print=lambda _message: on_ready(),
    )


def serve(config: Config) -> None:
    """The entry point of ``mentorburst serve``."""
    if config.workers == 1:
        sock = listen_socket(config.host, config.port, config.listen_backlog)
        run_node(config, sock, lambda: announce(config))
        return
    Supervisor(config).run()


@dataclass
class Supervisor:
    config: Config
    children: dict[int, int] = field(default_factory=dict)  # pid -> worker index
    stopping: bool = False

    def run(self) -> None:
        metrics_dir = tempfile.mkdtemp(prefix="mentorburst-metrics-")
        # prometheus-client reads this when it is first imported: before any worker exists.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        embedded = None
        try:
            config = self.config
            if config.redis_url is None:
                from server.store.embedded import EmbeddedRedis

                embedded = EmbeddedRedis(config.data_dir)
                config = config.replace(redis_url=asyncio.run(embedded.start()))
            from server.domain.accounts.signer import load_secret

            # One secret for all: each worker generating its own would refuse the others' tokens.
            secret = load_secret(config.secret, config.data_dir).decode()
            self.config = config.replace(secret=secret)
            import server.app.factory  # noqa: F401 - imported once here, shared by the forked workers

            self._supervise(listen_socket(config.host, config.port, config.listen_backlog))
        finally:
            if embedded is not None:
                embedded._terminate()
            shutil.rmtree(metrics_dir, ignore_errors=True)

    def _supervise(self, sock: socket.socket) -> None:
        ready_read, ready_write = os.pipe()
        for index in range(self.config.workers):
            self._fork(index, sock, ready_write)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        if self._await_ready(ready_read, self.config.workers):
            announce(self.config, self.config.workers)
        else:
            log.error("workers did not all start within %.0f s; stopping", READY_TIMEOUT_SECONDS)
            self._stop()
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            index = self.children.pop(pid, -1)
            self._forget(pid)
            if index >= 0 and not self.stopping:
                log.warning("worker %d (pid %d) exited with %d; restarting", index, pid, status)
                time.sleep(0.5)
                self._fork(index, sock, ready_write)
        sock.close()

    def _fork(self, index: int, sock: socket.socket, ready_write: int) -> None:
        pid = os.fork()
        if pid:
            self.children[pid] = index
            return
        code = 0
        try:
            os.setpgid(0, 0)  # a terminal's Ctrl-C reaches the parent only; it drains us once
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            run_node(self.config, sock, lambda: os.write(ready_write, b"."))
        except BaseException:
            logging.getLogger(__name__).exception("worker %d failed", index)
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _await_ready(self, ready_read: int, count: int) -> bool:
        """Every worker said it accepts; False if one died first or time ran out."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        seen = 0
        while seen < count and time.monotonic() < deadline and not self.stopping:
            readable, _, _ = select.select([ready_read], [], [], 0.2)
            if readable:
                seen += len(os.read(ready_read, 64))
            pid, _status = os.waitpid(-1, os.WNOHANG)
            if pid:
                self.children.pop(pid, None)
                self._forget(pid)
                return False
        return seen >= count

    def _stop(self, *_signal: Any) -> None:
        """Drain every worker: each stops accepting, closes its sockets, finishes its work."""
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _forget(self, pid: int) -> None:
        """A dead worker's live gauges (connected sockets) must not count any more."""
        with contextlib.suppress(Exception):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]

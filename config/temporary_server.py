"""Prefect's temporary server, started so that it cannot outlive the process that owns it.

Prefect starts it with a plain Popen: a `trials` process killed with SIGKILL, or by the
out-of-memory killer, never runs its exit handlers, and the server went on serving with
no owner. Here the owner holds the write end of a pipe and the server holds the read end.
However the owner ends, the kernel closes its end; the server reads end-of-file, stops as
on SIGTERM, and is made to exit if it has not within a few seconds.

In the server's process this module runs first: `python -m config.temporary_server FD
MODULE ARGS...` watches the pipe, then runs MODULE (uvicorn) as `python -m` would. The
owner's side, which Prefect's clients start and stop, is `config.owned_server`.
"""

from __future__ import annotations

import os
import random
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import prefect
from prefect.settings import get_current_settings

GRACE_SECONDS = 5.0  # for the server to stop cleanly once its owner is gone


def spawn(port: int) -> tuple[subprocess.Popen[Any], int]:
    """Start the server on 127.0.0.1:`port` under the guard, as Prefect's own command (3.9)
    would start it: the process, and the write end of its pipe, which only the caller holds.

    Prefect's server modules, about three seconds of imports here, are imported by the new
    process, not by its owner: a command can start the server before it imports them.
    """
    read, lifeline = os.pipe()
    try:
        process = subprocess.Popen(
            args=[sys.executable, "-m", __name__, str(read), "uvicorn"]
            + ["--app-dir", str(prefect.__module_path__.parent)]
            + ["--factory", f"{__name__}:create_app"]
            + ["--host", "127.0.0.1", "--port", str(port)]
            + ["--log-level", "error", "--lifespan", "on"],
            env={
                **os.environ,
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
                **get_current_settings().to_environment_variables(exclude_unset=True),
            },
            pass_fds=(read,),
        )
    except BaseException:
        os.close(lifeline)
        raise
    finally:
        os.close(read)
    return process, lifeline


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the server may still lose it to
    another process before it binds: it then exits with 3, and Prefect starts it again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_app() -> Any:
    """Prefect's server app, its busy answers saying when to try again.

    The temporary server keeps its state in SQLite, where two writers at once make one fail
    at once ("database is locked"); Prefect answers 503 without a Retry-After, and its
    client then waits 2, 4, 8 s. A write holds the lock for milliseconds, so here a 503
    says to retry soon (Prefect's client honours Retry-After): `RetrySoon` has the rule.
    """
    from prefect.server.api.server import create_app as prefect_app

    return RetrySoon(prefect_app())


class RetrySoon:
    """ASGI middleware: a 503 answer gains a Retry-After (seconds) of a random 0.1 to 0.5 s
    times one more than the 503s of the last second. A lone collision is retried at once;
    a burst of them spreads its retries out, so the client's five tries are not spent in a
    moment while the server is busy."""

    WINDOW = 1.0  # seconds of recent 503s that lengthen the next one's Retry-After

    def __init__(self, app: Any) -> None:
        self.app = app
        self.busy: list[float] = []  # monotonic times of recent 503s

    def retry_after(self) -> float:
        """Seconds the client should wait before trying again, given the recent 503s."""
        now = time.monotonic()
        self.busy = [t for t in self.busy if now - t < self.WINDOW] + [now]
        return random.uniform(0.1, 0.5) * len(self.busy)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_retry_after(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                delay = f"{self.retry_after():.2f}".encode()
                message = {**message, "headers": [*message["headers"], (b"retry-after", delay)]}
            await send(message)

        await self.app(scope, receive, send_with_retry_after)


def _end_when_closed(lifeline: int) -> None:
    """Wait until the owner's end of the pipe closes, then stop this process."""
    with open(lifeline, "rb", buffering=0) as pipe:
        while pipe.read(1):
            pass
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on it
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def main(argv: list[str]) -> None:
    """Watch the pipe named by argv[1], then run the module argv[2] with the rest."""
    watcher = threading.Thread(
        target=_end_when_closed, args=(int(argv[1]),), name="owner-watch", daemon=True
    )
    watcher.start()
    sys.argv = argv[2:]
    runpy.run_module(argv[2], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv)

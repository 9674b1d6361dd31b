"""Prefect's temporary server, started so that it cannot outlive the process that owns it.

Prefect starts it with a plain Popen: a `trials` process killed with SIGKILL, or by the
out-of-memory killer, never runs its exit handlers, and the server went on serving with
no owner. Here the owner holds the write end of a pipe and the server holds the read end.
However the owner ends, the kernel closes its end; the server reads end-of-file, stops as
on SIGTERM, and is made to exit if it has not within a few seconds.

In the server's process this module runs first: `python -m config.temporary_server FD
MODULE ARGS...` watches the pipe, then runs MODULE (uvicorn) as `python -m` would.
"""

from __future__ import annotations

import os
import random
import runpy
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import get_current_settings

GRACE_SECONDS = 5.0  # for the server to stop cleanly once its owner is gone


class OwnedServer(SubprocessASGIServer):
    """Prefect's temporary server, run under a guard that ends it with this process.

    Without POSIX file-descriptor passing (Windows), it starts as Prefect's own does.
    """

    _lifeline: int | None = None  # the pipe's write end, held only by this process

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        """Prefect's own command for the server (3.9), with the guard in front of uvicorn."""
        if os.name != "posix":
            return super()._run_uvicorn_command()
        self._let_go()  # a start retried on another port leaves the first guard nothing
        read, self._lifeline = os.pipe()
        try:
            return subprocess.Popen(
                args=[sys.executable, "-m", __name__, str(read), "uvicorn"]
                + ["--app-dir", str(prefect.__module_path__.parent)]
                + ["--factory", f"{__name__}:create_app"]
                + ["--host", "127.0.0.1", "--port", str(self.port)]
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
        finally:
            os.close(read)

    def stop(self) -> None:
        """Stop the server as Prefect does, then let go of the pipe."""
        super().stop()
        self._let_go()

    def _let_go(self) -> None:
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None


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


def own_temporary_server() -> SubprocessASGIServer:
    """The temporary server this process starts, now or at a Prefect client's first call.

    Prefect's clients start theirs as `SubprocessASGIServer()`, which answers the instance
    registered for no port (Prefect's test harness swaps its own in the same way): an
    OwnedServer registered there before any client runs is the one they start.
    """
    current = SubprocessASGIServer._instances.get(None)
    if isinstance(current, OwnedServer) or (current is not None and current.running):
        return current
    SubprocessASGIServer._instances.pop(None, None)
    return OwnedServer()


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

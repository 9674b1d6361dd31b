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

import asyncio
import os
import random
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import prefect
from prefect.settings import get_current_settings

GRACE_SECONDS = 5.0  # for the server to stop cleanly once its owner is gone


@dataclass
class Spawned:
    """A server process started under the guard, on `port`, and the write end of its pipe,
    which only this process holds."""

    process: subprocess.Popen[Any]
    lifeline: int
    port: int

    def stop(self) -> None:
        """Let go of the pipe, so the guard stops the server; kill it if it has not ended
        within its grace and as long again."""
        os.close(self.lifeline)
        try:
            self.process.wait(timeout=2 * GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn(port: int) -> Spawned:
    """Start the server on 127.0.0.1:`port` under the guard, as Prefect's own command (3.9)
    would start it.

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
    return Spawned(process, lifeline, port)


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
    """ASGI middleware for the busy answers of the temporary server (503: a write met
    another at its SQLite, and the request's transaction was rolled back).

    The request is first tried again here, up to ATTEMPTS times in all, each after a random
    20 to 100 ms times the attempts so far: a write holds the lock for milliseconds, and a
    retry here spends none of the client's five. Only a request still busy after that is
    answered 503, with a Retry-After (seconds) of a random 0.1 to 0.5 s times one more than
    the 503s of the last second, so a burst spreads the client's retries out (Prefect's
    client honours Retry-After; without one it waits 2, 4, 8 s). A rolled-back request
    changed nothing, so trying it again is what the client would do.
    """

    WINDOW = 1.0  # seconds of recent 503s that lengthen the next one's Retry-After
    ATTEMPTS = 6  # tries of a busy request here, the first included

    def __init__(self, app: Any) -> None:
        self.app = app
        self.busy: list[float] = []  # monotonic times of recent 503s sent to clients
        self.retried = 0  # busy requests tried again here, since the server started

    def retry_after(self) -> float:
        """Seconds the client should wait before trying again, given the recent 503s."""
        now = time.monotonic()
        self.busy = [t for t in self.busy if now - t < self.WINDOW] + [now]
        return random.uniform(0.1, 0.5) * len(self.busy)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:  # the whole request, to send again; Prefect's are JSON of some KB
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        for attempt in range(1, self.ATTEMPTS + 1):
            if not await self._try(scope, body, receive, send, last=attempt == self.ATTEMPTS):
                return
            self.retried += 1
            await asyncio.sleep(random.uniform(0.02, 0.1) * attempt)

    async def _try(self, scope: Any, body: bytes, receive: Any, send: Any, last: bool) -> bool:
        """Run the request once; True if it was busy and its answer held back to retry."""
        given = False
        busy = False

        async def replay() -> Any:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the client's disconnect, if it comes

        async def answer(message: Any) -> None:
            nonlocal busy
            if message["type"] == "http.response.start" and message["status"] == 503:
                if not last:
                    busy = True
                    return
                delay = f"{self.retry_after():.2f}".encode()
                message = {**message, "headers": [*message["headers"], (b"retry-after", delay)]}
            elif busy:  # the body of a busy answer held back
                return
            await send(message)

        try:
            # A copy: the app's routing rewrites the scope it is given (Starlette's mounts).
            await self.app(dict(scope), replay, answer)
        except Exception:
            # Starlette raises the error again once its handler has answered (the 503), for
            # the server's log; one held back here to try again is handled by that retry.
            if not busy:
                raise
        return busy


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

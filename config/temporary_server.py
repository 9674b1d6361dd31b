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
                + ["--factory", "prefect.server.api.server:create_app"]
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

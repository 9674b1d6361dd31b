"""The owner's side of Prefect's temporary server: the instance Prefect's clients start,
which runs the server under the guard of `config.temporary_server`.

Importing this module imports Prefect's server (seconds):
`config.prefect.start_ephemeral_server` starts the process first, and imports it while the
server comes up.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from prefect.server.api.server import SubprocessASGIServer

from config.temporary_server import Spawned, spawn


class OwnedServer(SubprocessASGIServer):
    """Prefect's temporary server, run under a guard that ends it with this process.

    Without POSIX file-descriptor passing (Windows), it starts as Prefect's own does.
    """

    _lifeline: int | None = None  # the pipe's write end, held only by this process
    _spawned: subprocess.Popen[Any] | None = None  # started before this instance was made

    def adopt(self, early: Spawned) -> None:
        """Take a server process already started with `spawn`: `start` then waits for it to
        answer instead of starting another."""
        self._let_go()
        self.port, self._spawned, self._lifeline = early.port, early.process, early.lifeline

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        """The adopted process the first time; else Prefect's own command (3.9) for the
        server, with the guard in front of uvicorn."""
        if self._spawned is not None:
            process, self._spawned = self._spawned, None
            return process
        if os.name != "posix":
            return super()._run_uvicorn_command()
        self._let_go()  # a start retried on another port leaves the first guard nothing
        assert self.port is not None  # chosen by `start` before it runs the command
        started = spawn(self.port)
        self._lifeline = started.lifeline
        return started.process

    def stop(self) -> None:
        """Stop the server as Prefect does, then let go of the pipe."""
        super().stop()
        self._let_go()

    def _let_go(self) -> None:
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None


def own_temporary_server(early: Spawned | None = None) -> SubprocessASGIServer:
    """The temporary server this process starts, now or at a Prefect client's first call;
    a new one adopts `early`, a server process already started with `spawn`, which is
    stopped instead if a server runs already.

    Prefect's clients start theirs as `SubprocessASGIServer()`, which answers the instance
    registered for no port (Prefect's test harness swaps its own in the same way): an
    OwnedServer registered there before any client runs is the one they start.
    """
    current = SubprocessASGIServer._instances.get(None)
    if current is None or not (isinstance(current, OwnedServer) or current.running):
        SubprocessASGIServer._instances.pop(None, None)
        current = OwnedServer()
    if early is not None:
        if isinstance(current, OwnedServer) and not current.running:
            current.adopt(early)
        else:
            early.stop()
    return current

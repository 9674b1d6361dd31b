"""Prefect's own settings for the commands that run flows, set before Prefect is imported."""

from __future__ import annotations

import os

from models.errors import TrialsError

# The temporary server that Prefect starts when no PREFECT_API_URL is set keeps its state
# in SQLite. By default it writes each task-run event in a transaction of its own, and
# those writes collide with the API's: a collided request gets a 503, and Prefect's client
# waits 2, 4, 8... seconds before trying again. Writing the events in batches every two
# seconds cut the collisions in `trials demo` from about 20 to a handful. A task run then
# shows in the UI up to two seconds late.
EPHEMERAL_SERVER = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "2",
    # Its first start on a machine builds its database: about 30 s here, over the 20 s
    # Prefect waits by default.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def prepare_prefect(quiet_console: bool = False, temporary_server: bool = True) -> None:
    """Analytics off (this machine has no network to send them to); optionally a quiet terminal.

    Prefect reads its settings from PREFECT_* environment variables; a value the user set
    wins over these defaults. A quiet console still sends every log line to the Prefect
    API, so the UI shows them; the command prints its own summary or one-paragraph error.
    With no Prefect server named, the temporary server this process may start is one that
    ends with it, however it ends; a command that never calls Prefect's API itself passes
    `temporary_server=False` and spares the import of Prefect's server.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    for name, value in EPHEMERAL_SERVER.items():  # read only by a server this process starts
        os.environ.setdefault(name, value)
    if quiet_console:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    if temporary_server and not _server_named():
        from config.owned_server import own_temporary_server

        own_temporary_server()


def _server_named() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def start_ephemeral_server() -> None:
    """Start Prefect's temporary server now, if the commands will need one.

    It takes about five seconds to come up, and importing Prefect's server here three
    more: the server's process is started first, and this process imports the server's
    modules (to register the instance Prefect's clients use) while it comes up. Started in
    a thread, all of it happens while the command gets the rest ready, instead of when the
    first flow run asks for a server. A command that calls this passes
    `temporary_server=False` to `prepare_prefect`, which would import them first.
    """
    if _server_named():
        return
    early = None
    if os.name == "posix":  # the guard passes the pipe to the server by its descriptor
        from config.temporary_server import free_port, spawn

        early = spawn(free_port())
    try:
        from config.owned_server import own_temporary_server

        server = own_temporary_server(early)
    except BaseException:
        if early is not None:
            early.stop()
        raise
    try:
        server.start()
    except RuntimeError as exc:
        raise TrialsError(
            f"Prefect's temporary server did not start ({str(exc).split('.')[0]}). Start a "
            "server with `trials server` and set PREFECT_API_URL="
            "http://127.0.0.1:4200/api, or allow the temporary one longer with "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, then run the command again."
        ) from None

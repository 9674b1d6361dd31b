"""A real, throwaway Redmine for the tests: Debian's package served by WEBrick on a free
port, on a copy of a template database, driven over its REST API as a person would."""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

SCRIPT = Path(__file__).parent.parent / "scripts" / "redmine.sh"
MODULES = ("issue_tracking", "time_tracking", "wiki", "files", "documents")
TRACKERS = ("Bug", "Feature", "Support")
INSTALL_HINT = "run `scripts/redmine.sh install` as root (the test command does)"


def build_template(directory: Path) -> Path:
    """A migrated Redmine database with default data and the REST API on, to copy; the
    admin's API key, the same in every copy, is in `admin.key` next to it.

    The database is in WAL mode (kept in the file, so every copy has it): with SQLite's
    default rollback journal, a request still reading a list holds its read lock while a
    write, Redmine's own or the simulated clock's, waits to commit and blocks the reader's
    next statement; each waits out its busy timeout and Redmine answers 500. In WAL,
    readers and the one writer do not block each other."""
    redmine_sh("template", str(directory), timeout=300)
    database = directory / "redmine.db"
    db = sqlite3.connect(database)
    try:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    finally:
        db.close()  # the last connection: the WAL is checkpointed into the file and removed
    assert mode == "wal", f"{database}: SQLite kept journal mode {mode!r}, not WAL"
    assert not database.with_name("redmine.db-wal").exists(), "the WAL was not checkpointed"
    return database


def rails_runner(instance: Path, code: str) -> str:
    """What Ruby `code` prints when `rails runner` runs it on the instance's database."""
    return redmine_sh("runner", str(instance), code, timeout=120).strip()


def redmine_sh(*arguments: str, timeout: float) -> str:
    """Run `scripts/redmine.sh`; its output, or an error carrying what it printed."""
    # Its own process group, so that an interrupted test also stops the Ruby it started.
    with subprocess.Popen(
        [str(SCRIPT), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as script:
        try:
            stdout, stderr = script.communicate(timeout=timeout)
        except BaseException:
            os.killpg(script.pid, signal.SIGKILL)
            raise
    if script.returncode != 0:
        raise AssertionError(
            f"`scripts/redmine.sh {arguments[0]}` failed ({INSTALL_HINT} if Redmine is "
            f"missing):\n{stderr[-3000:]}"
        )
    return stdout


class Redmine:
    """A running Redmine: its URL, the admin's API key, and helpers over its REST API."""

    def __init__(self, url: str, admin_key: str, database: Path | None = None) -> None:
        self.url = url
        self.admin_key = admin_key
        self.database = database  # its SQLite file, when the tests started it
        self.admin = self.client()

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        """An httpx client on the server, authenticated as the admin (the caller closes it)."""
        return httpx.Client(
            base_url=self.url,
            headers={"X-Redmine-API-Key": self.admin_key, **(headers or {})},
            timeout=30,
        )

    def as_user(self, login: str) -> httpx.Client:
        """A client acting as `login`: the admin's key with `X-Redmine-Switch-User`."""
        return self.client({"X-Redmine-Switch-User": login})

    def create_user(
        self, login: str, *, firstname: str = "Test", lastname: str = "User", admin: bool = False
    ) -> tuple[int, str]:
        """A new active user: its id and its API key."""
        user = {
            "login": login,
            "firstname": firstname,
            "lastname": lastname,
            "mail": f"{login}@example.com",
            "password": uuid.uuid4().hex,
            "admin": admin,
        }
        created = self._ok(self.admin.post("/users.json", json={"user": user}))["user"]
        # The admin reads any user's API key; reading it makes Redmine create it.
        shown = self._ok(self.admin.get(f"/users/{created['id']}.json"))["user"]
        return created["id"], shown["api_key"]

    def create_project(
        self,
        identifier: str,
        *,
        name: str | None = None,
        modules: Sequence[str] = MODULES,
        trackers: Sequence[str] = TRACKERS,
        public: bool = False,
    ) -> int:
        """A new project with these modules and trackers; its id."""
        tracker_ids = self._ids("/trackers.json", "trackers", trackers)
        project = {
            "name": name or identifier,
            "identifier": identifier,
            "is_public": public,
            "enabled_module_names": list(modules),
            "tracker_ids": tracker_ids,
        }
        created = self._ok(self.admin.post("/projects.json", json={"project": project}))
        return int(created["project"]["id"])

    def new_project(self, *, modules: Sequence[str] = MODULES) -> str:
        """A project of its own for one test (a unique identifier); its identifier."""
        identifier = f"t-{uuid.uuid4().hex[:12]}"
        self.create_project(identifier, modules=modules)
        return identifier

    def add_member(self, project: str | int, user_id: int, role_name: str) -> int:
        """Give a user a role (Manager, Developer, Reporter) in a project; the membership id."""
        membership = {
            "user_id": user_id,
            "role_ids": self._ids("/roles.json", "roles", [role_name]),
        }
        created = self._ok(
            self.admin.post(
                f"/projects/{project}/memberships.json", json={"membership": membership}
            )
        )
        return int(created["membership"]["id"])

    @contextmanager
    def allow_created_in(self, tracker: str, *statuses: str) -> Iterator[None]:
        """Within the block, let every role create `tracker` issues straight in `statuses`
        (and in New, the tracker's default), as an administrator does in Administration →
        Workflow ("New issue" row): rows in the workflows table, which Redmine's REST API
        does not expose. Once any such row exists, Redmine gives an issue created without a
        status the first allowed one, so the rows are removed on leaving: the server is
        shared by every test of the session. Needs the server's own SQLite file."""
        assert self.database is not None, "a Redmine the tests started, with its SQLite file"
        (tracker_id,) = self._ids("/trackers.json", "trackers", [tracker])
        status_ids = self._ids("/issue_statuses.json", "issue_statuses", ["New", *statuses])
        with sqlite3.connect(self.database) as db:
            roles = [row[0] for row in db.execute("SELECT id FROM roles")]
            have = set(
                db.execute(
                    "SELECT tracker_id, new_status_id, role_id FROM workflows "
                    "WHERE tracker_id = ? AND old_status_id = 0",
                    (tracker_id,),
                )
            )
            rows = [(tracker_id, s, role) for s in status_ids for role in roles]
            rows = [row for row in rows if row not in have]  # leave the server's own rows
            db.executemany(
                "INSERT INTO workflows (tracker_id, old_status_id, new_status_id, role_id, type)"
                " VALUES (?, 0, ?, ?, 'WorkflowTransition')",
                rows,
            )
        try:
            yield
        finally:
            with sqlite3.connect(self.database) as db:
                db.executemany(
                    "DELETE FROM workflows WHERE tracker_id = ? AND old_status_id = 0 "
                    "AND new_status_id = ? AND role_id = ?",
                    rows,
                )

    def close(self) -> None:
        """Close the admin's client."""
        self.admin.close()

    def _ids(self, path: str, key: str, names: Sequence[str]) -> list[int]:
        by_name = {item["name"]: item["id"] for item in self._ok(self.admin.get(path))[key]}
        missing = [name for name in names if name not in by_name]
        assert not missing, f"Redmine has no {key} named {missing}; it has {sorted(by_name)}"
        return [by_name[name] for name in names]

    @staticmethod
    def _ok(response: httpx.Response) -> dict:  # type: ignore[type-arg]
        assert response.is_success, (
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
        return response.json()  # type: ignore[no-any-return]


@contextmanager
def redmine_server(
    template: Path,
    directory: Path,
    *,
    timeout: float = 90,
    port: int | None = None,
    fresh: bool = True,
) -> Iterator[Redmine]:
    """Redmine on a copy of `template` in `directory`, on `port` or a free one; stopped
    afterwards. With `fresh=False` it serves the database already in `directory` again: a
    Redmine restarted after an outage."""
    directory.mkdir(parents=True, exist_ok=True)
    if fresh:
        shutil.copy(template, directory / "redmine.db")
    admin_key = template.with_name("admin.key").read_text().strip()
    if port is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    log = directory / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(SCRIPT), "serve", str(directory), str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
            preexec_fn=_die_with_parent,
        )
    stop = atexit.register(_stop, server, directory / "server.pid")
    redmine = Redmine(f"http://127.0.0.1:{port}", admin_key, directory / "redmine.db")
    try:
        _wait_ready(redmine, server, log, timeout)
        yield redmine
    finally:
        redmine.close()
        _stop(server, directory / "server.pid")
        atexit.unregister(stop)


def _wait_ready(
    redmine: Redmine, server: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if redmine.admin.get("/users/current.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            state = f"exited with {server.returncode}" if server.poll() is not None else "hung"
            tail = log.read_text(errors="replace")[-3000:]
            raise AssertionError(
                f"Redmine at {redmine.url} never answered GET /users/current.json with 200 "
                f"within {timeout:.0f} s (the server {state}); the end of {log}:\n{tail}"
            )
        time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes], pid_file: Path) -> None:
    """Stop the server by its PID file, then its whole process group if it lingers."""
    if server.poll() is None:
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (OSError, ValueError):
            server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait(timeout=15)


def _die_with_parent() -> None:
    """In the child: be sent SIGTERM when the test process dies, however it dies (Linux)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

"""Prefect's temporary server ends with the `trials` process that started it, even one
killed with SIGKILL (as by the out-of-memory killer): no server is left serving alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config import Settings
from simulator.config import ProfileName, SimulatorConfig
from tests.conftest import EXAMPLES, StartSimulator

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the server's process in /proc"
)

TRIALS = str(Path(sys.executable).with_name("trials"))
SERVER_APP = "config.temporary_server:create_app"  # on the temporary server's command line


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Prefect home for the module: the first temporary server builds its database."""
    return tmp_path_factory.mktemp("prefect")


@pytest.fixture
def plan(simulator_server: StartSimulator, tmp_path: Path) -> Path:
    """The helpdesk example with a fresh simulated vendor; a run of it waits at its first gate."""
    base = simulator_server(SimulatorConfig(profile=ProfileName.RELIABLE, seconds_per_day=0.02))
    text = (EXAMPLES / "helpdesk-takeover.yaml").read_text()
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace("http://127.0.0.1:8765", base))
    return path


@pytest.fixture
def strays() -> Iterator[list[int]]:
    """Process ids a test saw; whatever of them still runs is killed after the test."""
    seen: list[int] = []
    yield seen
    for pid in seen:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def trials_run(plan: Path, home: Path, log: Path, strays: list[int]) -> subprocess.Popen[bytes]:
    """`trials run PLAN` as a person starts it: no Prefect server named, so a temporary one."""
    return trials(["run", str(plan)], home, log, strays)


def trials(argv: list[str], home: Path, log: Path, strays: list[int]) -> subprocess.Popen[bytes]:
    """`trials ARGV...` as a person starts it, with no Prefect server named."""
    unset = {"PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_SERVER_UI_API_URL"}
    env = {name: value for name, value in os.environ.items() if name not in unset} | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "ACME_API_TOKEN": "sim-token",
    }
    with log.open("wb") as out:
        process = subprocess.Popen([TRIALS, *argv], env=env, stdout=out, stderr=subprocess.STDOUT)
    strays.append(process.pid)
    return process


def processes() -> Iterator[tuple[int, int, str, list[str]]]:
    """Every process: its id, its parent's id, its state letter and its command line."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # it ended meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        yield int(entry.name), int(ppid), state, argv


def alive(pid: int) -> bool:
    """Whether the process runs: a zombie, ended but not yet reaped, does not."""
    return any(p == pid and state not in "ZX" for p, _, state, _ in processes())


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def temporary_server(parent: subprocess.Popen[bytes], log: Path, strays: list[int]) -> int:
    """The port of the temporary server `parent` started, once the server answers."""
    deadline = time.monotonic() + 240  # a first start builds the database: 30 s and more
    while time.monotonic() < deadline:
        if parent.poll() is not None:
            raise AssertionError(f"the command ended ({parent.returncode}): {log.read_text()}")
        for pid, ppid, _, argv in processes():
            if ppid == parent.pid and SERVER_APP in argv:
                if pid not in strays:
                    strays.append(pid)
                port = int(argv[argv.index("--port") + 1])
                if answers(port):
                    return port
        time.sleep(0.5)
    raise AssertionError(f"no temporary server answered: {log.read_text()}")


def ends_within(seconds: float, pid: int) -> float:
    """How long the process took to end; fails if it outlives `seconds`."""
    started = time.monotonic()
    while alive(pid):
        assert time.monotonic() - started < seconds, f"process {pid} still runs"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["run", "demo"])
def test_a_command_killed_with_sigkill_leaves_no_temporary_server(
    command: str,
    settings: Settings,
    plan: Path,
    prefect_home: Path,
    tmp_path: Path,
    strays: list[int],
) -> None:
    """`trials run` and `trials demo` start the server's process before they import
    Prefect's server (which they then do while it comes up); the guard ends it all the
    same."""
    log = tmp_path / f"{command}.log"
    argv = ["run", str(plan)] if command == "run" else ["demo"]
    running = trials(argv, prefect_home, log, strays)
    port = temporary_server(running, log, strays)
    server = strays[-1]

    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)

    ends_within(10, server)
    assert not answers(port), f"port {port} still answers after its owner was killed"


@pytest.mark.e2e
def test_the_demo_stops_its_temporary_server_when_it_ends(
    settings: Settings, prefect_home: Path, tmp_path: Path, strays: list[int]
) -> None:
    log = tmp_path / "demo.log"
    demo = trials(["demo"], prefect_home, log, strays)
    port = temporary_server(demo, log, strays)
    server = strays[-1]
    assert demo.wait(timeout=300) == 0, log.read_text()
    assert "Demo: 3 trials in" in log.read_text() and "Traceback" not in log.read_text()
    assert not alive(server), "the server outlived the demo that started it"
    assert not answers(port)


@pytest.mark.e2e
def test_a_run_stopped_with_ctrl_c_stops_its_temporary_server(
    settings: Settings, plan: Path, prefect_home: Path, tmp_path: Path, strays: list[int]
) -> None:
    log = tmp_path / "run.log"
    running = trials_run(plan, prefect_home, log, strays)
    port = temporary_server(running, log, strays)
    server = strays[-1]

    running.send_signal(signal.SIGINT)
    running.wait(timeout=60)

    assert not alive(server), "the server outlived the run that stopped it"
    assert not answers(port)


LAZY_CLIENT = """
from config.prefect import prepare_prefect
prepare_prefect()
from prefect import get_client
with get_client(sync_client=True) as client:
    print("health:", client.api_healthcheck(), flush=True)
input()  # holds the server until the test has seen it
"""


def test_a_prefect_client_starts_the_guarded_server_when_a_command_did_not(
    prefect_home: Path, tmp_path: Path, strays: list[int]
) -> None:
    """A command that leaves the server to Prefect (`trials decide`, `check-vendor`) gets
    the guarded one when its first client starts it, and none is left when it ends."""
    log = tmp_path / "client.log"
    unset = {"PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_SERVER_UI_API_URL"}
    env = {name: value for name, value in os.environ.items() if name not in unset} | {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    with log.open("wb") as out:
        client = subprocess.Popen(
            [sys.executable, "-c", LAZY_CLIENT],
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    strays.append(client.pid)
    port = temporary_server(client, log, strays)
    server = strays[-1]
    client.communicate(b"\n", timeout=120)
    assert client.returncode == 0, log.read_text()
    assert "health: None" in log.read_text()  # Prefect's healthcheck: None when it answers
    assert not alive(server), "the server outlived the process whose client started it"
    assert not answers(port)


def test_the_guard_ends_what_it_runs_when_its_owner_lets_go() -> None:
    read, write = os.pipe()
    guarded = subprocess.Popen(
        [sys.executable, "-m", "config.temporary_server", str(read)]
        + ["http.server", "0", "--bind", "127.0.0.1"],
        pass_fds=(read,),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    os.close(read)
    try:
        assert guarded.stdout is not None
        assert "Serving HTTP" in guarded.stdout.readline().decode()  # the module runs
        os.close(write)  # as when the owner ends, however it ends
        assert guarded.wait(timeout=10) == -signal.SIGTERM
    finally:
        guarded.kill()
        guarded.wait()


def test_an_early_server_is_adopted_by_a_new_owner_and_stopped_if_one_runs_already() -> None:
    from prefect.server.api.server import SubprocessASGIServer

    from config.owned_server import OwnedServer, own_temporary_server
    from config.temporary_server import Spawned

    def guarded_http_server() -> Spawned:
        """A guarded stand-in for the server's process, as `spawn` starts one."""
        read, write = os.pipe()
        process = subprocess.Popen(
            [sys.executable, "-m", "config.temporary_server", str(read)]
            + ["http.server", "0", "--bind", "127.0.0.1"],
            pass_fds=(read,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(read)
        return Spawned(process, write, 0)

    saved = SubprocessASGIServer._instances.pop(None, None)
    try:
        early = guarded_http_server()
        owner = own_temporary_server(early)
        assert isinstance(owner, OwnedServer) and owner.port == 0
        assert owner._run_uvicorn_command() is early.process  # `start` runs the adopted one
        owner.stop()  # as at the process's exit: the guard ends it
        assert early.process.wait(timeout=10) == -signal.SIGTERM

        class Running:  # a server Prefect's client started already
            running = True

        SubprocessASGIServer._instances[None] = Running()  # type: ignore[assignment]
        late = guarded_http_server()
        assert own_temporary_server(late) is SubprocessASGIServer._instances[None]
        assert late.process.poll() is not None  # not needed, so stopped
    finally:
        SubprocessASGIServer._instances.pop(None, None)
        if saved is not None:
            SubprocessASGIServer._instances[None] = saved

"""The socket the simulators are served on: connections accepted on it send small writes at
once (TCP_NODELAY), so a response written as headers then body does not wait for the
client's delayed ACK."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from simulator.serve import listening_socket


async def hello(_: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", hello)])


@contextmanager
def served_on(sock: socket.socket) -> Iterator[uvicorn.Server]:
    """uvicorn serving APP on `sock` in a thread, as `simulator.serve.serve` runs it."""
    server = uvicorn.Server(uvicorn.Config(APP, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def nodelay_of_accepted(sock: socket.socket) -> set[int]:
    """TCP_NODELAY of each connection the server accepted on `sock` (one request's)."""
    port = sock.getsockname()[1]
    with served_on(sock) as server, httpx.Client() as client:
        assert client.get(f"http://127.0.0.1:{port}/").text == "hello"
        connections = list(server.server_state.connections)
        return {
            c.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            for c in connections
        }


def test_connections_accepted_on_the_listening_socket_have_nagle_off() -> None:
    sock = listening_socket()
    assert sock.proto == socket.IPPROTO_TCP
    assert nodelay_of_accepted(sock) == {1}


def test_a_socket_made_without_naming_tcp_would_leave_nagle_on() -> None:
    """Why the protocol is named: asyncio sets TCP_NODELAY only where it is IPPROTO_TCP."""
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert nodelay_of_accepted(plain) == {0}

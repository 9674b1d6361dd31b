"""Serve an ASGI app in this process: uvicorn in a background thread, on a free local port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.types import ASGIApp


def listening_socket(port: int = 0) -> socket.socket:
    """A TCP socket bound to 127.0.0.1:`port` (0: a free one), for `uvicorn.Server.run`.

    Its protocol is named (IPPROTO_TCP), not left 0: asyncio turns Nagle's algorithm off
    (TCP_NODELAY) only on connections of a socket whose protocol is IPPROTO_TCP, and without
    it each response, written as headers then body, waited for the client's delayed ACK,
    about 40 ms a request on Linux.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextmanager
def serve(app: ASGIApp, startup_timeout: float = 10.0) -> Iterator[str]:
    """Run `app` until the block ends; yield its base URL."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_healthy(base_url: str, timeout: float = 10.0) -> None:
    """Return once `GET /v1/health` answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base_url}/v1/health did not answer within {timeout} s")
        time.sleep(0.02)

"""A real HTTP receiver on loopback that records what arrives and answers as told."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers `status` (and `location` for a redirect); `requests` is what came in."""

    port: int = 0
    status: int = 200
    location: str = ""
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/kunde?source=test"


def _serve(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), self.rfile.read(length)))
            self.send_response(receiver.status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1, which the SSRF guard lets through only in these tests."""
    settings.KUNDE_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    yield from _serve(Receiver())


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())

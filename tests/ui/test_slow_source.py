"""A Docker engine that takes 3 s to answer must not delay a keypress."""

from __future__ import annotations

import json
import socket
import threading
import time

from gotui.config import Settings
from gotui.ui.app import GotuiApp
from gotui.ui.help import HelpScreen

DELAY = 5.0


class SlowEngine:
    """A real HTTP server on loopback that answers Docker API calls after DELAY seconds."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self.first_answer_at: float | None = None
        self.closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(10)
                while True:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                    path = data.split(b" ", 2)[1].decode()
                    self.requests.append(path)
                    time.sleep(DELAY)
                    if path.endswith("/version"):
                        body = json.dumps({"ApiVersion": "1.41", "Version": "20.10.24", "Os": "linux", "Arch": "amd64"})
                    elif "/_ping" in path:
                        body = "OK"
                    elif "/events" in path:
                        time.sleep(30)
                        return
                    else:
                        body = "[]"
                    if self.first_answer_at is None:
                        self.first_answer_at = time.monotonic()
                    raw = body.encode()
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n"
                        + f"Content-Length: {len(raw)}\r\n\r\n".encode()
                        + raw
                    )
            except OSError:
                return

    def close(self) -> None:
        self.closed = True
        self.sock.close()


async def test_slow_docker_engine_does_not_delay_keys(offline_settings: Settings) -> None:
    engine = SlowEngine()
    offline_settings.docker_host = f"tcp://127.0.0.1:{engine.port}"
    app = GotuiApp(offline_settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(100):  # wait until the Images pane is really waiting on the engine
                if engine.requests:
                    break
                await pilot.pause(0.02)
            assert engine.requests, "the Images pane never asked the engine"
            for _ in range(250):  # the Kubernetes side starts (an import on this thread) 1 s in at the latest
                if "kube" in app.services:
                    break
                await pilot.pause(0.02)
            pressed_at = time.monotonic()
            await pilot.press("2")
            assert app.active_pane.PANE_ID == "pods"
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            handled_at = time.monotonic()
            # Both keys were handled while the engine had not answered anything yet.
            assert engine.first_answer_at is None or engine.first_answer_at > handled_at
            assert handled_at - pressed_at < DELAY
            await pilot.press("q")
    finally:
        engine.close()

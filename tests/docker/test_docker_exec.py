"""`docker exec -it` over the API on the real engine: the raw bridge between a pty and the exec socket."""

from __future__ import annotations

import os
import threading
import time

import pytest

from gotui.ops.docker_exec import SHELL, Demux, bridge
from gotui.sources.docker_source import DockerSource

pytestmark = [pytest.mark.docker, pytest.mark.timeout(60)]


def read_until(fd: int, needle: bytes, timeout: float = 15.0) -> bytes:
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def test_exec_shell_through_a_pty(run_container) -> None:  # noqa: ANN001
    """A busybox shell runs in the container, echoes what we type, and the bridge returns on `exit`
    with the shell's exit code recorded by the engine."""
    cid = run_container("sleep 300")
    source = DockerSource()
    exec_id, sock = source.exec_socket(cid, SHELL, size=(24, 80))
    master, slave = os.openpty()
    done = threading.Event()

    def run() -> None:
        try:
            bridge(sock, slave, slave)
        finally:
            done.set()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert b"# " in read_until(master, b"# "), "no shell prompt"
    time.sleep(0.3)  # busybox asks for the cursor position and waits a moment for the answer
    os.write(master, b"echo hi-$((6*7)); exit 3\r")
    seen = read_until(master, b"hi-42")
    assert b"hi-42" in seen, seen
    assert done.wait(15), "the bridge did not return after exit"
    sock.close()
    os.close(master)
    os.close(slave)
    deadline = time.monotonic() + 10
    while source.exec_exit_code(exec_id) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert source.exec_exit_code(exec_id) == 3


def test_attach_demultiplexes_a_non_tty_container(run_container) -> None:  # noqa: ANN001
    cid = run_container("i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done")
    source = DockerSource()
    sock, multiplexed = source.attach_socket(cid)
    assert multiplexed
    demux = Demux()
    got = b""
    deadline = time.monotonic() + 15
    while b"tick-" not in got and time.monotonic() < deadline:
        got += demux.feed(sock.recv(4096))
    sock.close()
    assert b"tick-" in got and b"\x01\x00\x00\x00" not in got


def test_demux_keeps_partial_frames() -> None:
    frame = b"\x01\x00\x00\x00\x00\x00\x00\x05hello"
    d = Demux()
    assert d.feed(frame[:6]) == b""
    assert d.feed(frame[6:] + frame[:9]) == b"hello"
    assert d.feed(frame[9:]) == b"hello"

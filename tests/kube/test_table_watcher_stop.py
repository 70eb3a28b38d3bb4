"""TableWatcher.stop() is called on the UI thread (every view switch): it must return at once and the
watch thread end soon even when the watch is idle (no event, no bookmark for seconds). A plain
`resp.close()` waited for the reader's buffer lock, i.e. for the next bookmark: the UI froze ~5 s."""

from __future__ import annotations

import time
import uuid

import pytest
from kubernetes import client

from gotui.kube.kinds import discover
from gotui.kube.resources import TableWatcher

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(60)]


def test_stop_of_an_idle_watch_returns_at_once(sandbox):
    ns = f"idle-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(sandbox.api_client).create_namespace({"metadata": {"name": ns}})
    kind = discover(sandbox.api_client).lookup("cm")
    assert kind is not None
    for _ in range(2):  # stopped once the watch is open, and once right after start
        watcher = TableWatcher(sandbox.api_client, kind, ns, lambda: None)
        watcher.start()
        deadline = time.monotonic() + 10
        while watcher._response is None and time.monotonic() < deadline:  # noqa: SLF001 - the open watch
            time.sleep(0.01)
        assert watcher.state == "live" and watcher._response is not None  # noqa: SLF001
        started = time.monotonic()
        watcher.stop()
        assert time.monotonic() - started < 1.0
        watcher.join(2.0)
        assert not watcher.is_alive()
    watcher = TableWatcher(sandbox.api_client, kind, ns, lambda: None)
    watcher.start()
    watcher.stop()  # before the watch request returned
    watcher.join(2.0)
    assert not watcher.is_alive()

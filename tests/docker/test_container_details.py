"""Container list and details on the real engine: a container in its restart loop shows the exit
code of its last run; the details pane's log tail splits lines at \\n only (a progress bar's \\r
stays inside its line)."""

from __future__ import annotations

import time
import uuid

import pytest

from fixtures.docker_engine import TEST_LABEL
from gotui.ops.docker_ops import container_rows, troubleshoot
from gotui.sources.docker_source import DockerSource

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


def test_restarting_container_shows_exit_code_and_log_lines(docker_client, busybox_image) -> None:  # noqa: ANN001
    host_config = docker_client.api.create_host_config(network_mode="none", restart_policy={"Name": "always"})
    c = docker_client.api.create_container(
        busybox_image, ["sh", "-c", "printf 'progress 10%%\\rprogress 100%%\\r\\nnext line\\n'; exit 3"],
        labels=TEST_LABEL, host_config=host_config, name=f"gotui-test-restart-{uuid.uuid4().hex[:8]}")
    cid = c["Id"]
    try:
        docker_client.api.start(cid)
        source = DockerSource()
        deadline = time.time() + 60
        row = None
        while time.time() < deadline:
            row = next((r for r in container_rows(source.list_containers()) if r.key == cid), None)
            if row is not None and row.state == "restarting":
                break
            time.sleep(0.05)
        assert row is not None and row.state == "restarting", row
        assert row.status.startswith("Restarting (3)") and row.exit_code == 3 and row.cells()[2] == "3"
        info = source.inspect_container(cid)
        if info["State"]["Status"] == "restarting":
            assert troubleshoot(info, []).exit_code == 3
        lines = source.log_tail(cid, 2)
        assert lines == ["progress 10%\rprogress 100%", "next line"], lines
    finally:
        docker_client.api.remove_container(cid, force=True)

"""Start-up speed of the Images pane on the real engine: the first lists come from a stdlib request
made before the first frame (ImagesPane.prefetch, sources.docker_quick), not from the docker client
that `start_services` sets up after it; and nothing imports every UI module before the first frame."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.images_pilot import screen_text, wait_for
from gotui.config import Settings
from gotui.sources import docker_quick
from gotui.ui.app import GotuiApp
from gotui.ui.panes.images import ImagesPane

pytestmark = [pytest.mark.docker, pytest.mark.timeout(60)]


def test_quick_lists_are_the_engine_lists(docker_client, busybox_image) -> None:  # noqa: ANN001
    """The same JSON as docker-py's api.images() / api.containers(all=True) (other sessions share the
    engine, so rows are compared by the id this test owns)."""
    lists = docker_quick.quick_lists(f"unix://{_socket_path()}")
    assert lists is not None
    images, containers = lists
    mine = next(i for i in images if busybox_image in (i.get("RepoTags") or []))
    theirs = next(i for i in docker_client.api.images() if i["Id"] == mine["Id"])
    assert {k: v for k, v in mine.items() if k != "Containers"} == {k: v for k, v in theirs.items() if k != "Containers"}
    assert isinstance(containers, list) and all("Id" in c and "State" in c for c in containers)


def test_early_lists_are_handed_over_once(docker_client, busybox_image) -> None:  # noqa: ANN001
    host = f"unix://{_socket_path()}"
    docker_quick.start_early(host)
    docker_quick.start_early(host)  # one fetch per host
    early = docker_quick.take_early(host)
    assert early is not None and docker_quick.take_early(host) is None
    lists = early.wait()
    assert lists is not None and any(busybox_image in (i.get("RepoTags") or []) for i in lists[0])
    docker_quick.start_early("tcp://127.0.0.1:2375")
    assert docker_quick.take_early("tcp://127.0.0.1:2375") is None


def _socket_path() -> str:
    import os

    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        pytest.skip("the quick lists only handle unix:// engines")
    return host[len("unix://"):]


def test_quick_lists_decline_what_they_do_not_handle(tmp_path: Path) -> None:
    assert docker_quick.quick_lists("tcp://127.0.0.1:2375") is None
    assert docker_quick.quick_lists("ssh://user@host") is None
    assert docker_quick.quick_lists(f"unix://{tmp_path}/no.sock") is None  # nothing listens: the client reports it


class NoServicesApp(GotuiApp):
    """The app with its sources never started: only the start-up prefetch can fill the pane."""

    def start_services(self) -> None:
        pass


async def test_first_rows_come_before_the_sources_start(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    pane = ImagesPane()
    app = NoServicesApp(Settings(audit_log=tmp_path / "audit.jsonl", config_path=tmp_path / "c.yaml"), panes=[pane])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(r.ref == busybox_image for r in pane.image_rows), "image rows", timeout=20)
        assert pane.watcher is None and pane.lists_shown and pane.refreshes == 0  # (counts the watcher's lists)
        assert app.status_bar.docker_host == pane.source.host
        assert "images" in screen_text(app) and "connecting" not in screen_text(app)


def test_no_keys_in_the_config_imports_no_ui_module() -> None:
    code = ("import sys; from gotui import cli; from gotui.config import Settings; "
            "cli.check_tui_settings(Settings()); "
            "print(sorted(m for m in sys.modules if m.startswith('gotui.ui.') and m.count('.') >= 2 "
            "and m not in ('gotui.ui.keys', 'gotui.ui.themes')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout


class QuietImagesPane(ImagesPane):
    """The pane with no engine behind it: the test hands it its lists."""

    def prefetch(self) -> None:
        pass


async def test_a_long_first_list_shows_its_top_rows_first(tmp_path: Path) -> None:
    """300 image rows into the empty table: the first FIRST_ROWS are added at once (and drawn), the
    others after that frame, in order; a second list with the same rows is then a cell diff."""
    from gotui.ui.panes.images import DockerLists

    images = [{"Id": f"sha256:{i:064x}", "RepoTags": [f"gotui-test/many:{i:03d}"], "Created": 1_700_000_000 + i,
               "Size": 1000 + i} for i in range(300)]
    pane = QuietImagesPane()
    app = NoServicesApp(Settings(audit_log=tmp_path / "audit.jsonl", config_path=tmp_path / "c.yaml"), panes=[pane])
    async with app.run_test(size=(80, 24)) as pilot:
        table = pane.query_one("#images-table")
        counts: list[int] = []
        real = pane.render_tables

        def rendered(**kw: bool) -> None:
            real(**kw)
            counts.append(table.row_count)

        pane.render_tables = rendered  # type: ignore[method-assign]
        pane.post_message(DockerLists(images, [], 0.0))
        await wait_for(pilot, lambda: table.row_count == 300, "every row")
        assert counts == [pane.FIRST_ROWS]
        assert [k.value.split("|")[1] for k in list(table.rows)[:3]] == [f"gotui-test/many:{i}" for i in ("299", "298", "297")]
        assert [k.value.split("|")[1] for k in table.rows] == [f"gotui-test/many:{i:03d}" for i in range(299, -1, -1)]
        assert "gotui-test/many:299" in screen_text(app)
        pane.post_message(DockerLists(images, [], 0.0))
        await wait_for(pilot, lambda: len(counts) == 2, "the second list")
        assert counts[-1] == 300

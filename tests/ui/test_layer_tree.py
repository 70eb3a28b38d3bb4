"""The layers screen at 80x24 on the real engine, keys in bursts: efficiency and wasted bytes on
screen, layer list, the highlighted layer's tree, folding a directory, the filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, TEST_LABEL, make_context
from fixtures.images_pilot import make_app, screen_text, wait_for
from gotui.ui.layers_screen import LayersScreen

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]

DOCKERFILE = BASE_DOCKERFILE + """\
RUN mkdir -p /data /cache/sub && dd if=/dev/zero of=/data/a bs=1000 count=100 \
 && dd if=/dev/zero of=/cache/sub/x bs=1000 count=50 && echo hi > /cache/y
RUN dd if=/dev/zero of=/data/a bs=1000 count=200
RUN rm -rf /cache
"""


def build(docker_client, ctx: Path, tag: str) -> None:  # noqa: ANN001
    for chunk in docker_client.api.build(path=str(ctx), tag=tag, rm=True, forcerm=True, decode=True, labels=TEST_LABEL):
        assert "errorDetail" not in chunk, chunk


def tree_lines(app) -> list[str]:  # noqa: ANN001
    screen = app.screen
    return [row.path for row in screen.shown]


async def test_layer_tree_screen_at_80x24(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    tag = "gotui-test/layertree:1"
    build(docker_client, make_context(tmp_path / "ctx", DOCKERFILE), tag)
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(r.ref == tag for r in pane.image_rows), "listed")
        pane.table.move_cursor(row=[r.ref for r in pane.image_rows].index(tag))
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LayersScreen), "the layers screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.analysis is not None, "the analysis", 60)
        text = screen_text(app)
        assert "efficiency" in text and "wasted 300kB" in text
        assert f"{screen.analysis.efficiency * 100:.4f} %" in text
        # the layer list: oldest first, the busybox copy first
        assert "COPY" in text
        # down twice in one burst: the mkdir layer (index 2) and its tree
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: screen.layer_index == 2, "layer 2 highlighted")
        assert tree_lines(app) == ["/cache", "/cache/sub", "/cache/sub/x", "/cache/y", "/data", "/data/a"]
        text = screen_text(app)
        assert "cache/" in text and "data/" in text
        # into the tree, fold /cache (first row) with space, all in one burst
        await pilot.press("tab", "home", "space")
        await wait_for(pilot, lambda: tree_lines(app) == ["/cache", "/data", "/data/a"], "/cache folded")
        assert "▸ cache/" in screen_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: "/cache/sub/x" in tree_lines(app), "/cache unfolded")
        # left on a file goes to its directory, left again folds it, right unfolds
        await pilot.press("down", "down", "left", "left")
        await wait_for(pilot, lambda: "/cache/sub" in screen.collapsed, "/cache/sub folded with left")
        assert tree_lines(app) == ["/cache", "/cache/sub", "/cache/y", "/data", "/data/a"]
        await pilot.press("right")
        await wait_for(pilot, lambda: "/cache/sub/x" in tree_lines(app), "/cache/sub unfolded with right")
        # filters: added -> changed -> removed -> wasted, in one burst to 'wasted'
        await pilot.press("f", "f", "f", "f")
        await wait_for(pilot, lambda: screen.filter == "wasted", "the wasted filter")
        # everything this layer wrote is overwritten (/data/a) or deleted (/cache) later
        assert tree_lines(app) == ["/cache", "/cache/sub", "/cache/sub/x", "/cache/y", "/data", "/data/a"]
        assert "filter:wasted" in screen_text(app)
        # the last layer: the removal of /cache
        await pilot.press("tab", "end")
        await wait_for(pilot, lambda: screen.layer_index == len(screen.analysis.layers) - 1, "last layer")
        await pilot.press("f")  # back to all
        await wait_for(pilot, lambda: screen.filter == "all", "all rows")
        assert tree_lines(app) == ["/cache"]
        assert screen.shown[0].diff == "removed" and screen.shown[0].size == 50_003
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LayersScreen), "back to the images")

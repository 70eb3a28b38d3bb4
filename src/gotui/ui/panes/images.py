"""The Images pane: images and (key `c`) containers of the Docker engine, kept live by its events.

Lists come from one `GET /images/json` + one `GET /containers/json?all=1` per refresh, in a thread
worker; the engine's event stream (sources.docker_source.EventWatcher) triggers refreshes,
coalesced, so there is no polling in steady state. When the engine goes away the status line says
so and the watcher retries with capped backoff; the pane recovers by itself.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from gotui import clock
from gotui.ops import docker_ops as dops
from gotui.ops import image_analysis as ia
from gotui.ops.errors import describe_error
from gotui.sources import docker_quick
from gotui.sources.docker_source import DockerSource, EngineUnreachable, EventWatcher
from gotui.ui.docker import bulk
from gotui.ui.panes.base import Pane

IMAGE_COLUMNS = (("repository:tag", "ref"), ("id", "id"), ("size", "size"), ("age", "age"), ("used", "used"))
CONTAINER_COLUMNS = (("name", "name"), ("state", "state"), ("exit", "exit"), ("age", "age"),
                     ("image", "image"), ("ports", "ports"))


class DockerChanged(Message):
    def __init__(self, kinds: set[str]) -> None:
        super().__init__()
        self.kinds = kinds


class DockerState(Message):
    def __init__(self, state: str, detail: str) -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class DockerLists(Message):
    def __init__(self, images: list[dict[str, Any]], containers: list[dict[str, Any]], elapsed: float,
                 *, prefetched: bool = False) -> None:
        super().__init__()
        self.images = images
        self.containers = containers
        self.elapsed = elapsed
        self.prefetched = prefetched  # the start-up lists (ImagesPane.prefetch)


class DockerDetails(Message):
    def __init__(self, key: str, renderable: Any) -> None:
        super().__init__()
        self.key = key
        self.renderable = renderable


class ImagesPane(Pane):
    PANE_ID = "images"
    NEEDS_KUBE = False  # started before the Kubernetes client (GotuiApp.start_services)
    TITLE = "Images"
    # details are shown from the cache at once, and fetched again when older than this (seconds):
    # a running container's last log lines move on, and every age in them gets older
    CONTAINER_DETAILS_TTL = 3.0
    IMAGE_DETAILS_TTL = 30.0
    AGE_TICK = 30.0  # re-render the age columns (no engine request)

    BINDINGS = [
        Binding("c", "toggle_view", "Containers", id="images.toggle"),
        Binding("enter", "inspect", "Inspect", show=False, id="images.inspect"),
        Binding("l", "logs", "Logs", id="images.logs"),
        Binding("m", "stats", "Stats", id="images.stats"),
        Binding("ctrl+d", "delete", "Delete", id="images.delete"),
        Binding("F", "force_delete", "Force delete", show=False, id="images.force_delete"),
        Binding("x", "prune", "Prune", id="images.prune"),
        Binding("b", "build", "Build", id="images.build"),
        Binding("t", "tag", "Tag", show=False, id="images.tag"),
        Binding("D", "toggle_dangling", "Dangling only", show=False, id="images.dangling"),
        Binding("o", "cycle_sort", "Sort", show=False, id="images.sort"),
        Binding("ctrl+k", "stop", "Stop", show=False, id="images.stop"),
        Binding("R", "restart", "Restart", show=False, id="images.restart"),
        Binding("s,e", "exec_shell", "Shell", show=False, id="images.exec"),
        Binding("a", "attach", "Attach", show=False, id="images.attach"),
        Binding("space", "mark", "Mark", show=False, id="images.mark"),
        Binding("escape", "clear_marks", "Clear marks", show=False, id="images.clear_marks"),
        Binding("P", "compose", "Compose", show=False, id="images.compose"),
        Binding("V", "volumes", "Volumes/networks", show=False, id="images.volumes"),
        Binding("E", "events", "Events", show=False, id="images.events"),
        Binding("L", "layers", "Layers", show=False, id="images.layers"),
    ]

    # Hidden (and refused with the reason when pressed) in read-only mode.
    MUTATING = frozenset({"delete", "force_delete", "prune", "build", "tag", "stop", "restart"})

    def __init__(self, source: DockerSource | None = None) -> None:
        super().__init__()
        self.source = source
        self.watcher: EventWatcher | None = None
        self.view = "images"  # or "containers"
        self.sort_by = "age"
        self.dangling_only = False
        self.images: list[dict[str, Any]] = []
        self.containers: list[dict[str, Any]] = []
        self.image_rows: list[dops.ImageRow] = []
        self.container_rows: list[dops.ContainerRow] = []
        self.engine_state = "connecting"
        self.last_refresh_s = 0.0
        self.refreshes = 0
        self._details_key = ""
        self._details_cache: dict[str, tuple[float, Any]] = {}
        self._details_timer: Any = None
        self.details_renderable: object = None
        self.marks: dict[str, set[str]] = {"images": set(), "containers": set()}  # Space; see ui.docker.bulk
        self.docker_commands: list[Any] = []  # from the config; see ui.docker.commands
        self.lists_shown = False  # a list (the start-up one or the watcher's) is on screen
        self._fills: dict[str, int] = {}  # table id -> rebuilds (a pending rest of a first fill checks it)

    # -- layout ---------------------------------------------------------------------------------
    def compose_main(self) -> ComposeResult:
        yield DataTable(id="images-table", classes="pane-main", cursor_type="row")
        yield DataTable(id="containers-table", classes="pane-main -hidden", cursor_type="row")

    def on_mount(self) -> None:
        images = self.query_one("#images-table", DataTable)
        for label, key in IMAGE_COLUMNS:
            images.add_column(label, key=key)
        containers = self.query_one("#containers-table", DataTable)
        for label, key in CONTAINER_COLUMNS:
            containers.add_column(label, key=key)
        self.set_interval(self.AGE_TICK, self._tick_ages)

    def _tick_ages(self) -> None:
        """Ages grow while nothing happens on the engine: re-render the cells from the last lists."""
        if self.images or self.containers:
            self.render_tables(details=False)

    @property
    def table(self) -> DataTable:
        return self.query_one("#images-table" if self.view == "images" else "#containers-table", DataTable)

    # -- source lifecycle --------------------------------------------------------------------------
    def _ensure_source(self) -> DockerSource:
        if self.source is None:
            settings = getattr(self.app, "settings", None)
            self.source = DockerSource(getattr(settings, "docker_host", None))
        return self.source

    def prefetch(self) -> None:
        """At start-up, before the first frame: fetch the first lists in a plain thread with the
        stdlib (sources.docker_quick), so the first rows do not wait for the docker client's import,
        the version negotiation and the event subscription that `start` does after the first frame."""
        try:
            host = self._ensure_source().host
        except Exception:  # noqa: BLE001 - `start` reports a source that cannot be made
            return
        try:
            self.gotui_app.status_bar.docker_host = host
        except Exception:  # noqa: BLE001 - a bare App in tests has no status bar
            pass

        def run() -> None:
            t0 = time.perf_counter()
            early = docker_quick.take_early(host)  # begun at start-up (cli.main), if it was
            lists = early.wait() if early is not None else docker_quick.quick_lists(host)
            if lists is not None:
                self.post_message(DockerLists(*lists, time.perf_counter() - t0, prefetched=True))

        threading.Thread(target=run, name="docker-prefetch", daemon=True).start()

    def start(self) -> None:
        source = self._ensure_source()
        services = getattr(self.app, "services", None)
        if isinstance(services, dict):
            services["docker"] = source
        try:
            self.gotui_app.status_bar.docker_host = source.host
        except Exception:  # noqa: BLE001 - a bare App in tests has no status bar
            pass
        if not self.lists_shown:  # (the start-up lists may be on screen already)
            self.set_status(f"connecting to {source.host}…")
        self.watcher = EventWatcher(
            source,
            on_change=lambda kinds: self.post_message(DockerChanged(kinds)),
            on_state=lambda state, detail: self.post_message(DockerState(state, detail)),
        )
        self.watcher.start()
        from gotui.ui.docker import commands

        commands.install(self)

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    def on_docker_state(self, message: DockerState) -> None:
        self.engine_state = message.state
        if message.state == "connected":
            self.mark_stale(False)
            self.set_status(f"Docker {self.source.host if self.source else ''}: connected", "ok")
        else:
            shown = bool(self.images or self.containers)
            self.set_status(message.detail + self.mark_stale(shown), "error")

    def on_docker_changed(self, message: DockerChanged) -> None:
        for screen in self.app.screen_stack:  # the compose and volumes screens follow the same events
            changed = getattr(screen, "docker_changed", None)
            if changed is not None:
                changed(message.kinds)
        if message.kinds & {"container", "image"}:
            self.reload()

    def action_refresh(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="docker-list")
    def reload(self) -> None:
        if self.source is None:
            return
        start = time.perf_counter()
        try:
            images = self.source.list_images()
            containers = self.source.list_containers()
        except EngineUnreachable as exc:
            self.post_message(DockerState("unreachable", str(exc)))
            return
        except Exception as exc:  # noqa: BLE001
            self.post_message(DockerState("error", describe_error(exc, what="Docker list")))
            return
        self.post_message(DockerLists(images, containers, time.perf_counter() - start))

    def on_docker_lists(self, message: DockerLists) -> None:
        """Lists to show. `refreshes` counts the watcher's lists only (the start-up lists come before
        the watcher runs: `refreshes > 0` still means the pane is live)."""
        if message.prefetched and self.refreshes:
            return  # the ordinary list was first: it is newer
        start = time.perf_counter()
        self.images = message.images
        self.containers = message.containers
        bulk.prune_vanished(self)
        if self.engine_state != "connected":
            self.engine_state = "connected"
        self.render_tables()
        self.last_refresh_s = message.elapsed + (time.perf_counter() - start)
        if not message.prefetched:
            self.refreshes += 1
        if not self.lists_shown:
            self.lists_shown = True
            notify = getattr(self.app, "first_docker_list_shown", None)
            if notify is not None:
                notify()
        self._status_summary()

    def status_line(self) -> str:
        """The pane's one-line summary; short enough for 80 columns with a filter and the
        dangling toggle on. Counts are over everything the engine has, not the filtered rows."""
        running = sum(1 for c in self.containers if c.get("State") == "running")
        dangling = sum(1 for i in self.images if not [t for t in (i.get("RepoTags") or []) if t and t != "<none>:<none>"])
        n_images, n_containers = len(self.images), len(self.containers)
        if self.view == "images":
            parts = [f"▸images {n_images}, {dangling} dangling", f"containers {n_containers}, {running} running",
                     f"by {self.sort_by}"]
            if self.dangling_only:
                parts.append("dangling only")
        else:
            parts = [f"▸containers {n_containers}, {running} running", f"images {n_images}, {dangling} dangling"]
        if self.marks[self.view]:
            parts.insert(1, f"{len(self.marks[self.view])} marked")
        if self.filter_text:
            parts.append("/" + self.filter_text)
        line = " │ ".join(parts)
        if len(line) > 78:  # the other view's counts go first, so the line stays one row at 80x24
            line = " │ ".join(parts[:1] + parts[2:])
        return line

    def _status_summary(self) -> None:
        if self.engine_state == "connected":
            self.set_status(self.status_line(), "info")

    # -- tables ---------------------------------------------------------------------------------------
    def render_tables(self, *, details: bool = True) -> None:
        now = clock.timestamp()
        rows = dops.image_rows(self.images, self.containers)
        if self.dangling_only:
            rows = [r for r in rows if r.dangling]
        rows = [r for r in rows if dops.matches(self.filter_text, r.ref, r.short)]
        self.image_rows = dops.sort_images(rows, self.sort_by)
        crows = dops.container_rows(self.containers)
        self.container_rows = [r for r in crows if dops.matches(self.filter_text, r.name, r.image, r.state)]
        with self.app.batch_update():
            im, cm = self.marks["images"], self.marks["containers"]
            self._fill(self.query_one("#images-table", DataTable),
                       [(r.key, bulk.marked_cells(r.cells(now), r.key in im)) for r in self.image_rows])
            self._fill(self.query_one("#containers-table", DataTable),
                       [(r.key, bulk.marked_cells(r.cells(now), r.key in cm)) for r in self.container_rows])
        if details:
            self.call_after_refresh(self._schedule_details)

    FIRST_ROWS = 100  # a long list into an empty table: these rows first, the rest after their frame

    def _fill(self, table: DataTable, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Keyed diff: same keys in the same order -> update changed cells; else rebuild. The first
        fill of a long list adds FIRST_ROWS rows, and the others once the frame showing those is
        drawn: DataTable measures every row it is given before it paints (500 images: most of the
        time between the lists' arrival and the first rows on screen)."""
        current = [k.value for k in table.rows]
        wanted = [k for k, _ in rows]
        columns = [c.key for c in table.columns.values()]
        if current == wanted:
            for key, cells in rows:
                old = table.get_row(key)
                for col, new, was in zip(columns, cells, old, strict=False):
                    if str(was) != new:
                        table.update_cell(key, col, Text(new))
            return
        cursor_key = None
        if table.row_count and 0 <= table.cursor_row < table.row_count:
            cursor_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))[0].value
        first = not current
        table.clear()
        self._fills[table.id or ""] = generation = self._fills.get(table.id or "", 0) + 1
        head = rows[: self.FIRST_ROWS] if first else rows
        for key, cells in head:
            table.add_row(*(Text(c) for c in cells), key=key)
        if cursor_key in wanted:
            table.move_cursor(row=wanted.index(cursor_key), animate=False)
        if len(head) < len(rows):

            def the_rest() -> None:
                if self._fills.get(table.id or "") != generation:
                    return  # rebuilt since: the rows are not these any more
                with self.app.batch_update():
                    for key, cells in rows[len(head):]:
                        table.add_row(*(Text(c) for c in cells), key=key)

            self.call_after_refresh(the_rest)

    def apply_filter(self, text: str) -> None:
        self.render_tables()
        self._status_summary()

    def copy_value(self) -> str | None:
        if self.view == "images":
            row = self.selected_image()
            return (row.ref if not row.ref.startswith("<none>") else row.image_id) if row is not None else None
        container = self.selected_container()
        return container.name if container is not None else None

    def selected_image(self) -> dops.ImageRow | None:
        table = self.query_one("#images-table", DataTable)
        if self.view != "images" or not self.image_rows or table.cursor_row >= len(self.image_rows):
            return None
        return self.image_rows[table.cursor_row]

    def selected_container(self) -> dops.ContainerRow | None:
        table = self.query_one("#containers-table", DataTable)
        if self.view != "containers" or not self.container_rows or table.cursor_row >= len(self.container_rows):
            return None
        return self.container_rows[table.cursor_row]

    # -- details ----------------------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._schedule_details()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_inspect()

    def _schedule_details(self) -> None:
        if self._details_timer is not None:
            self._details_timer.stop()
        self._details_timer = self.set_timer(0.15, self._load_details)

    def _load_details(self) -> None:
        if self.view == "images":
            row = self.selected_image()
            if row is None:
                self.show_details(Text("no image selected", style="dim"))
                return
            key = "image:" + row.image_id
        else:
            crow = self.selected_container()
            if crow is None:
                self.show_details(Text("no container selected", style="dim"))
                return
            state = next((c.get("State") for c in self.containers if c.get("Id") == crow.key), "")
            key = f"container:{crow.key}:{state}"
        self._details_key = key
        cached = self._details_cache.get(key)
        if cached is not None:
            fetched, renderable = cached
            self.show_details(renderable)
            ttl = self.IMAGE_DETAILS_TTL if key.startswith("image:") else self.CONTAINER_DETAILS_TTL
            if time.monotonic() - fetched < ttl:
                return
        self.fetch_details(key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="docker-details")
    def fetch_details(self, key: str) -> None:
        from gotui.ui.docker_screens import history_renderable, troubleshoot_text

        kind, _, ref = key.partition(":")
        if kind == "container":
            ref = ref.rsplit(":", 1)[0]
        try:
            if kind == "image":
                info = self.source.inspect_image(ref)  # type: ignore[union-attr]
                history = self.source.history(ref)  # type: ignore[union-attr]
                cfg = info.get("Config") or {}
                analysis = ia.analyze_history(history, int(info.get("Size") or 0), cfg.get("Env") or [],
                                              cfg.get("Labels") or {})
                head = Text()
                head.append(f"{dops.short_id(ref)}  {dops.human_size(int(info.get('Size') or 0))}  "
                            f"{info.get('Os')}/{info.get('Architecture')}\n", style="bold")
                users = dops.image_users(ref, self.containers)
                if users:
                    head.append(f"used by {', '.join(users[:5])}\n", style="yellow")
                from rich.console import Group

                renderable: Any = Group(head, history_renderable(analysis, cfg.get("Labels") or {}))
            else:
                info = self.source.inspect_container(ref)  # type: ignore[union-attr]
                lines = self.source.log_tail(ref, 8)  # type: ignore[union-attr]
                renderable = troubleshoot_text(info, lines)
        except Exception as exc:  # noqa: BLE001
            renderable = Text(describe_error(exc, what="details"), style="red")
        self.post_message(DockerDetails(key, renderable))

    def on_docker_details(self, message: DockerDetails) -> None:
        if len(self._details_cache) > 200:
            self._details_cache.clear()
        self._details_cache[message.key] = (time.monotonic(), message.renderable)
        if message.key == self._details_key:
            self.show_details(message.renderable)

    def show_details(self, renderable: object) -> None:
        self.details_renderable = renderable
        super().show_details(renderable)

    # -- view toggles ---------------------------------------------------------------------------------------
    def action_toggle_view(self) -> None:
        self.view = "containers" if self.view == "images" else "images"
        self.query_one("#images-table").set_class(self.view != "images", "-hidden")
        self.query_one("#containers-table").set_class(self.view != "containers", "-hidden")
        self.focus_main()
        self._status_summary()
        self._schedule_details()

    def action_toggle_dangling(self) -> None:
        self.dangling_only = not self.dangling_only
        self.render_tables()
        self._status_summary()

    def action_cycle_sort(self) -> None:
        order = ["age", "size", "name"]
        self.sort_by = order[(order.index(self.sort_by) + 1) % len(order)]
        self.render_tables()
        self._status_summary()

    # -- screens ----------------------------------------------------------------------------------------------
    def _need_source(self) -> bool:
        if self.source is None:
            self.notify("Docker is not connected", severity="error")
            return False
        return True

    def action_inspect(self) -> None:
        from gotui.ui.docker_screens import InspectScreen

        if not self._need_source():
            return
        if self.view == "images":
            row = self.selected_image()
            if row:
                self.app.push_screen(InspectScreen(self.source, "image", row.image_id, row.ref))  # type: ignore[arg-type]
        else:
            crow = self.selected_container()
            if crow:
                self.app.push_screen(InspectScreen(self.source, "container", crow.key, crow.name))  # type: ignore[arg-type]

    def action_layers(self) -> None:
        from gotui.ui.layers_screen import LayersScreen

        row = self.selected_image() if self.view == "images" else None
        if row and self._need_source():
            self.app.push_screen(LayersScreen(self.source, row.image_id, row.ref))  # type: ignore[arg-type]

    def action_logs(self) -> None:
        from gotui.ui.docker_screens import ContainerLogsScreen

        crow = self.selected_container()
        if crow is None:
            self.notify("logs: switch to containers (c) and pick one", severity="warning", timeout=3)
            return
        if self._need_source():
            self.app.push_screen(ContainerLogsScreen(self.source, crow.key, crow.name))  # type: ignore[arg-type]

    def action_stats(self) -> None:
        from gotui.ui.docker_screens import ContainerStatsScreen

        crow = self.selected_container()
        if crow is None:
            self.notify("stats: switch to containers (c) and pick one", severity="warning", timeout=3)
            return
        if crow.state != "running":
            self.notify(f"{crow.name} is {crow.state}: no stats", severity="warning", timeout=3)
            return
        if self._need_source():
            self.app.push_screen(ContainerStatsScreen(self.source, crow.key, crow.name))  # type: ignore[arg-type]

    def action_build(self) -> None:
        from gotui.ui.docker_screens import BuildScreen

        if self._need_source():
            self.app.push_screen(BuildScreen(self.source))  # type: ignore[arg-type]

    # -- read-only: mutating keys hidden, but a press still says why ------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MUTATING and getattr(getattr(self.app, "settings", None), "readonly", False):
            return False
        return True

    def on_key(self, event: Any) -> None:
        settings = getattr(self.app, "settings", None)
        if not getattr(settings, "readonly", False):
            return
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            if binding.action in self.MUTATING:
                from gotui.ops.actions import Action
                from gotui.ops.safety import check

                event.stop()
                verdict = check(Action(verb=binding.action, kind="image", target="-"), settings)  # type: ignore[arg-type]
                self.app.notify(verdict.reason, title=f"Refused: {binding.description.lower()}", severity="error")
                return

    # -- actions (all through app.gate.perform) ---------------------------------------------------------------------
    def _perform(self, action: Any, runner: Any, **kw: Any) -> None:
        gate = getattr(self.app, "gate", None)
        if gate is None:
            self.notify("actions need the gotui app", severity="error")
            return
        gate.perform(action, runner, on_done=lambda result, error: self.reload(), **kw)

    def action_delete(self, force: bool = False) -> None:
        if not self._need_source():
            return
        if bulk.containers(self, "remove") or bulk.images(self, force):
            return
        source = self.source
        host = source.host  # type: ignore[union-attr]
        if self.view == "images":
            row = self.selected_image()
            if row is None:
                return
            users = dops.image_users(row.image_id, self.containers)
            all_rows = dops.image_rows(self.images, self.containers)
            other_tags: list[str] = []
            if dops.untag_only(row, all_rows):
                users = []  # another tag keeps the image: removing this one is an untag
                other_tags = [r.ref for r in all_rows if r.image_id == row.image_id and r.ref != row.ref]
            if users and not force:
                self.notify(dops.in_use_reason(row, users), title="Refused: image in use", severity="error", timeout=8)
                return
            action = dops.remove_image_action(row, host, force=force, users=users, other_tags=other_tags)
            target = action.params["image"]
            self._perform(action, lambda: dops.removal_summary(target, source.remove_image(target, force=force)))  # type: ignore[union-attr]
        else:
            crow = self.selected_container()
            if crow is None:
                return
            action = dops.container_action("remove", crow, host)
            self._perform(action, lambda: source.remove_container(crow.key, force=True) or f"removed {crow.name}")  # type: ignore[union-attr]

    def action_force_delete(self) -> None:
        self.action_delete(force=True)

    def action_stop(self) -> None:
        if bulk.containers(self, "stop"):
            return
        crow = self.selected_container()
        if crow is None or not self._need_source():
            return
        source = self.source
        self._perform(dops.container_action("stop", crow, source.host),  # type: ignore[union-attr]
                      lambda: source.stop_container(crow.key) or f"stopped {crow.name}")  # type: ignore[union-attr]

    def action_restart(self) -> None:
        if bulk.containers(self, "restart"):
            return
        crow = self.selected_container()
        if crow is None or not self._need_source():
            return
        source = self.source
        self._perform(dops.container_action("restart", crow, source.host),  # type: ignore[union-attr]
                      lambda: source.restart_container(crow.key) or f"restarted {crow.name}")  # type: ignore[union-attr]

    def action_prune(self) -> None:
        """The dialog opens at once (keys typed after `x` reach it) and counts the dangling images inside."""
        if not self._need_source():
            return
        from dataclasses import replace

        source = self.source
        host = source.host  # type: ignore[union-attr]

        def prepare() -> Any:
            dangling = source.dangling_images()  # type: ignore[union-attr]
            containers = source.list_containers()  # type: ignore[union-attr]
            count, size = dops.prune_plan(dangling, containers)
            if count == 0:
                raise LookupError("no dangling images to prune")
            return dops.prune_action(count, size, host)

        def runner() -> str:
            out = source.prune_dangling()  # type: ignore[union-attr]
            deleted = [d for d in (out.get("ImagesDeleted") or []) if d.get("Deleted")]
            return f"pruned {len(deleted)} layers/images, freed {dops.human_size(out.get('SpaceReclaimed') or 0)}"

        counting = replace(dops.prune_action(0, 0, host), target="dangling images", detail="counting the dangling images…")
        self._perform(counting, runner, prepare=prepare)

    def action_tag(self) -> None:
        from gotui.ops.actions import Action
        from gotui.ops.build import split_tag
        from gotui.ui.docker_screens import TagModal

        row = self.selected_image()
        if row is None or not self._need_source():
            return
        source = self.source

        def chosen(new: str | None) -> None:
            if not new:
                return
            repo, tag = split_tag(new)
            action = Action(verb="tag", kind="image", target=new, context=source.host,  # type: ignore[union-attr]
                            preview=f"docker tag {row.short} {new}", destructive=False, reversible=True)
            self._perform(action, lambda: source.tag(row.image_id, repo, tag) and f"tagged {row.short} as {new}")  # type: ignore[union-attr]

        self.app.push_screen(TagModal(row.ref), chosen)

    # -- exec, attach, marks, compose, volumes, events, custom commands (gotui.ui.docker) -------------------
    def _running_container(self, what: str) -> dops.ContainerRow | None:
        crow = self.selected_container()
        if crow is None:
            self.notify(f"{what}: switch to containers (c) and pick one", severity="warning", timeout=3)
            return None
        if crow.state != "running":
            self.notify(f"{what}: {crow.name} is {crow.state}, not running", severity="warning", timeout=4)
            return None
        return crow if self._need_source() else None

    def action_exec_shell(self) -> None:
        crow = self._running_container("shell")
        if crow is not None:
            self._exec_worker("exec", crow.key, crow.name)

    def action_attach(self) -> None:
        crow = self._running_container("attach")
        if crow is not None:
            self._exec_worker("attach", crow.key, crow.name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="docker-exec")
    def _exec_worker(self, how: str, container_id: str, name: str) -> None:
        from gotui.ui.docker import exec as dexec

        (dexec.exec_shell if how == "exec" else dexec.attach)(self.app, self.source, container_id, name)  # type: ignore[arg-type]

    def action_mark(self) -> None:
        bulk.toggle(self)

    def action_clear_marks(self) -> None:
        bulk.clear(self)

    def action_compose(self) -> None:
        from gotui.ui.docker.compose import ComposeScreen

        if self._need_source():
            self.app.push_screen(ComposeScreen(self.source))

    def action_volumes(self) -> None:
        from gotui.ui.docker.volumes import VolumesScreen

        if self._need_source():
            self.app.push_screen(VolumesScreen(self.source))

    def action_events(self) -> None:
        from gotui.ui.docker.events import EventsScreen

        if self._need_source():
            self.app.push_screen(EventsScreen(self.source))

    def action_custom_command(self, index: int) -> None:
        from gotui.ui.docker import commands

        commands.run(self, index)

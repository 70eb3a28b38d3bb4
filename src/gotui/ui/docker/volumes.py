"""Volumes and networks (`V` in the Images pane; `v` switches between them): name, driver,
size/mountpoint or subnet, scope, and the containers that use each. `Enter` inspects, `Space` marks
volumes, `Ctrl+D` removes (refused, with the users named, while containers use it), `x` prunes; every
change goes through the app's dialog."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding

from gotui.ops import docker_resources as dr
from gotui.ops.docker_bulk import run_each
from gotui.ops.errors import describe_error
from gotui.ops.sanitize import safe_text
from gotui.ui.docker.base import DockerTableScreen
from gotui.ui.marks import MARK


class VolumesScreen(DockerTableScreen):
    TITLE = "volumes"
    COLUMNS = dr.VOLUME_COLUMNS
    BINDINGS = [
        Binding("escape", "escape", "Back", id="volumes.escape"),
        Binding("q", "close", "Back", show=False, id="volumes.close"),
        Binding("v", "switch", "Volumes ⇄ networks", id="volumes.switch"),
        Binding("enter", "inspect", "Inspect", id="volumes.inspect"),
        Binding("space", "mark", "Mark", id="volumes.mark"),
        Binding("ctrl+d", "remove", "Remove", id="volumes.remove"),
        Binding("x", "prune", "Prune", id="volumes.prune"),
        Binding("r", "refresh", "Refresh", show=False, id="volumes.refresh"),
    ]

    def __init__(self, source: Any, kind: str = "volumes") -> None:
        super().__init__(source)
        self.kind = kind
        self.volumes: list[dr.VolumeRow] = []
        self.networks: list[dr.NetworkRow] = []
        self.sizes: dict[str, int] = {}
        self.marks: set[str] = set()
        self.loaded = False
        self.api_version = "1.41"

    def on_mount(self) -> None:
        super().on_mount()
        self._retitle()
        self.reload()
        self.load_sizes()

    def _retitle(self) -> None:
        self.set_columns(dr.VOLUME_COLUMNS if self.kind == "volumes" else dr.NETWORK_COLUMNS)
        self.query_one("#dscreen-title").update(Text(f" {self.kind} ", style="bold reverse"))  # type: ignore[attr-defined]

    def docker_changed(self, kinds: set[str]) -> None:
        if kinds & {"volume", "network", "container"}:
            self.reload()

    def action_refresh(self) -> None:
        self.reload()
        self.load_sizes()

    @work(thread=True, exclusive=True, exit_on_error=False, group="resources-list")
    def reload(self) -> None:
        try:
            containers = self.source.list_containers()
            volumes = self.source.list_volumes()
            networks = self.source.list_networks()
            self.api_version = str(self.source.api.api_version)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self.set_status, describe_error(exc, what="volumes/networks"), "bold red")
            return
        self.app.call_from_thread(self.show_rows, volumes, networks, containers)

    @work(thread=True, exclusive=True, exit_on_error=False, group="resources-sizes")
    def load_sizes(self) -> None:
        try:
            sizes = self.source.volume_sizes()
        except Exception:  # noqa: BLE001 - sizes are a nicety: "?" stays
            return
        self.app.call_from_thread(self._set_sizes, sizes)

    def _set_sizes(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        if self.loaded:
            self.volumes = [dr.VolumeRow(**{**r.__dict__, "size": sizes.get(r.key, -1)}) for r in self.volumes]
            self.render_rows()

    def show_rows(self, volumes: list[dict[str, Any]], networks: list[dict[str, Any]],
                  containers: list[dict[str, Any]]) -> None:
        self.volumes = dr.volume_rows(volumes, containers, self.sizes)
        self.networks = dr.network_rows(networks, containers)
        self.loaded = True
        self.marks &= {r.key for r in self.volumes}  # marks survive a refresh while the volume exists
        self.render_rows()

    def render_rows(self) -> None:
        rows: list[tuple[str, tuple[str, ...]]] = []
        if self.kind == "volumes":
            for v in self.volumes:
                cells = v.cells()
                if v.key in self.marks:
                    cells = (MARK + " " + cells[0], *cells[1:])
                rows.append((v.key, cells))
            status = f"{len(self.volumes)} volume(s), {sum(1 for v in self.volumes if not v.users)} unused"
            if self.marks:
                status += f" · {len(self.marks)} marked (Esc clears)"
        else:
            rows = [(n.key, n.cells()) for n in self.networks]
            status = f"{len(self.networks)} network(s), {len(dr.prune_network_plan(self.networks))} unused"
        self.fill(rows)
        self.set_status(status + " · v switches")

    def action_switch(self) -> None:
        self.kind = "networks" if self.kind == "volumes" else "volumes"
        self._retitle()
        self.set_details(Text(""))
        self.render_rows()

    def action_escape(self) -> None:
        if self.marks:
            self.marks.clear()
            self.render_rows()
        else:
            self.action_close()

    def action_mark(self) -> None:
        key = self.cursor_key()
        if key is None or self.kind != "volumes":
            return
        self.marks.symmetric_difference_update({key})
        row = self.table.cursor_row
        self.render_rows()
        self.table.move_cursor(row=min(row + 1, self.table.row_count - 1), animate=False)

    def selected_volume(self) -> dr.VolumeRow | None:
        key = self.cursor_key()
        return next((v for v in self.volumes if v.key == key), None) if self.kind == "volumes" else None

    def selected_network(self) -> dr.NetworkRow | None:
        key = self.cursor_key()
        return next((n for n in self.networks if n.key == key), None) if self.kind == "networks" else None

    def on_data_table_row_selected(self, event: Any) -> None:
        event.stop()
        self.action_inspect()

    def action_inspect(self) -> None:
        key = self.cursor_key()
        if key is not None:
            self.inspect(self.kind, key)

    @work(thread=True, exclusive=True, exit_on_error=False, group="resources-inspect")
    def inspect(self, kind: str, name: str) -> None:
        try:
            info = self.source.inspect_volume(name) if kind == "volumes" else self.source.inspect_network(name)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self.set_details, Text(describe_error(exc, what="inspect"), style="red"))
            return
        rows = self.volumes if kind == "volumes" else self.networks
        users = next((r.users for r in rows if r.key == name), ())
        text = Text()
        text.append(f"{safe_text(name, 200)}", style="bold")
        text.append("  used by: " + (safe_text(", ".join(users), 400) if users else "no container") + "\n",
                    style="yellow" if users else "dim")
        if kind == "volumes":
            text.append(f"Mountpoint {safe_text(str(info.get('Mountpoint') or '-'), 300)}\n")
        else:
            text.append(f"Driver {safe_text(str(info.get('Driver') or '-'), 40)}  Internal {info.get('Internal')}\n")
        text.append("\n".join(safe_text(line, 400) for line in json.dumps(info, indent=1, sort_keys=True).splitlines()))
        self.app.call_from_thread(self.set_details, text)

    def action_remove(self) -> None:
        source = self.source
        if self.kind == "networks":
            net = self.selected_network()
            if net is None:
                return
            why = dr.network_refusal(net)
            if why:
                self.notify(why, title="Refused: network in use", severity="error", timeout=8)
                return
            def remove() -> str:
                source.remove_network(net.key)
                return f"removed network {net.key}"

            self.perform(dr.remove_network_action(net, source.host), remove)
            return
        chosen = [v for v in self.volumes if v.key in self.marks] if self.marks else \
            [v for v in [self.selected_volume()] if v is not None]
        if not chosen:
            return
        refused = [why for why in (dr.volume_refusal(v) for v in chosen) if why]
        if refused:
            self.notify(" ".join(refused), title="Refused: volume in use", severity="error", timeout=10)
            return
        names = [v.key for v in chosen]

        def runner() -> str:
            out = run_each(names, source.remove_volume, "removed") + " volume(s)"
            self.app.call_from_thread(self._forget_marks, names)
            return out

        self.perform(dr.remove_volumes_action(chosen, source.host), runner)

    def _forget_marks(self, names: list[str]) -> None:
        self.marks.difference_update(names)

    def action_prune(self) -> None:
        source = self.source
        if self.kind == "volumes":
            victims = dr.prune_volume_plan(self.volumes, self.api_version)
            if not victims:
                self.notify("no unused volumes to prune", timeout=3)
                return

            def runner() -> str:
                out = source.prune_volumes()
                gone = out.get("VolumesDeleted") or []
                from gotui.ops.docker_ops import human_size

                return f"pruned {len(gone)} volume(s), freed {human_size(out.get('SpaceReclaimed') or 0)}"

            self.perform(dr.prune_volumes_action(victims, source.host), runner)
        else:
            nets = dr.prune_network_plan(self.networks)
            if not nets:
                self.notify("no unused networks to prune", timeout=3)
                return
            self.perform(dr.prune_networks_action(nets, source.host),
                         lambda: f"pruned {len(source.prune_networks().get('NetworksDeleted') or [])} network(s)")

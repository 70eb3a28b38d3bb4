"""Docker screens opened from the Images pane: container logs, stats, inspect, build, tag.

Each screen gets the pane's `DockerSource`; every engine call runs in a thread worker
(`exit_on_error=False`) and streams are closed when the screen closes.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Label, Sparkline, Static

from gotui.clock import parse_time
from gotui.ops import image_analysis as ia
from gotui.ops import masking
from gotui.ops.actions import Action
from gotui.ops.build import BuildEvent, BuildRequest, BuildResult, BuildRun, parse_build_args
from gotui.ops.docker_ops import binary_size, exit_meaning, human_age, human_size, troubleshoot
from gotui.ops.errors import describe_error
from gotui.ops.log_range import LogRange, log_range
from gotui.ops.sanitize import safe_text, to_text
from gotui.ui.logview import LogView, range_bindings

if TYPE_CHECKING:
    from gotui.sources.docker_source import DockerSource


class StateCheckbox(Checkbox):
    """A checkbox whose state reads without colour (16 colours, NO_COLOR): `x` when on, blank when off."""

    def render(self) -> Content:
        self.BUTTON_INNER = "x" if self.value else " "
        return super().render()


def _settings(screen: Screen) -> Any:
    return getattr(screen.app, "settings", None)


def troubleshoot_text(info: dict[str, Any], last_lines: list[str]) -> Text:
    """The troubleshooting block: state, exit code, OOMKilled, finished time, last log lines."""
    t = troubleshoot(info, last_lines)
    text = Text()
    text.append(f"{t.name}\n", style="bold")
    text.append("state      ", style="dim")
    text.append(f"{t.state}\n", style="bold red" if t.state in ("exited", "dead") and t.exit_code else "bold")
    if t.exit_code is not None:
        text.append("exit code  ", style="dim")
        text.append(f"{t.exit_code}", style="bold red" if t.exit_code else "bold green")
        text.append(f"  {exit_meaning(t.exit_code, t.oom_killed)}\n", style="red" if t.exit_code else "green")
    text.append("OOMKilled  ", style="dim")
    text.append(("YES" if t.oom_killed else "no") + "\n", style="bold red" if t.oom_killed else "")
    if t.error:
        text.append("error      ", style="dim")
        text.append(safe_text(t.error, 300) + "\n", style="red")
    text.append("started    ", style="dim")
    text.append(safe_text(t.started, 40) + "\n")
    if t.state in ("exited", "dead"):
        text.append("finished   ", style="dim")
        text.append(safe_text(t.finished, 40) + "\n")
    if t.restart_count:
        text.append("restarts   ", style="dim")
        text.append(f"{t.restart_count}\n")
    if t.health:
        text.append("health     ", style="dim")
        text.append(f"{t.health}\n")
    if t.last_lines:
        text.append(f"last {len(t.last_lines)} log lines:\n", style="dim")
    elif t.state in ("exited", "dead"):
        text.append("no log lines\n", style="dim")
    for line in t.last_lines:
        text.append("  " + line + "\n")
    return text


# -- logs -------------------------------------------------------------------------------------------


class LogResume:
    """Remembers the last line shown (its engine timestamp) so a reconnected stream, asked for
    `since` that second, skips what was already on screen."""

    def __init__(self) -> None:
        self.last_ts: float | None = None
        self.seen_at_last: set[bytes] = set()

    def since(self) -> int | None:
        return None if self.last_ts is None else int(self.last_ts)

    def keep(self, lines: list[bytes]) -> list[bytes]:
        """The lines not shown yet (each starts with the engine's RFC 3339 timestamp)."""
        out = []
        for line in lines:
            stamp = parse_time(line.split(b" ", 1)[0].decode("ascii", "replace"))
            ts = stamp.timestamp() if stamp is not None else None
            if ts is not None and self.last_ts is not None:
                if ts < self.last_ts or (ts == self.last_ts and line in self.seen_at_last):
                    continue
            if ts is not None:
                if ts != self.last_ts:
                    self.last_ts, self.seen_at_last = ts, set()
                self.seen_at_last.add(line)
            out.append(line)
        return out


def _sleep_unless_cancelled(worker: Any, seconds: float) -> bool:
    """Sleep in small steps; False when the worker was cancelled meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.is_cancelled:
            return False
        time.sleep(0.05)
    return not worker.is_cancelled


class ContainerLogsScreen(Screen[None]):
    """Follow one container's logs in a LogView (tail N, timestamps, follow, search, save)."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="dockerlogs.close"),
        *range_bindings("dockerlogs"),
    ]

    def __init__(self, source: DockerSource, container_id: str, name: str) -> None:
        super().__init__(classes="docker-screen")
        self.source = source
        self.container_id = container_id
        self.container_name = name
        self._stream: Any = None
        self.ended = False

    def compose(self) -> ComposeResult:
        settings = _settings(self)
        lines = getattr(settings, "log_buffer_lines", 10_000)
        self.range = self._range("0")
        yield Static(self._title(), classes="screen-title", id="dockerlogs-title")
        yield LogView(max_lines=lines, name_hint=self.container_name, id="container-log")
        yield Footer()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def on_mount(self) -> None:
        self.view.focus_lines()
        self.follow_logs()

    @work(thread=True, exit_on_error=False, group="container-logs")
    def follow_logs(self) -> None:
        """Follow the logs; when the stream drops (engine restart, `docker restart`), reconnect with
        capped backoff and resume after the last line shown, marking the gap; stop when it exited."""
        from textual.worker import get_current_worker

        worker = get_current_worker()
        rng = self.range
        view = self.view
        resume = LogResume()
        delay = 0.5
        first = True
        while not worker.is_cancelled:
            try:
                if first:
                    since = None if rng.since_seconds is None else int(time.time()) - rng.since_seconds
                else:
                    since = resume.since()
                stream = self.source.logs(self.container_id, tail=rng.tail if first else "all", since=since,
                                          timestamps=True, follow=True)
            except Exception as exc:  # noqa: BLE001 - engine away or container gone: say so, retry
                if not self._container_alive():
                    self.app.call_from_thread(view.mark, describe_error(exc, what="logs"))
                    self.app.call_from_thread(view.set_note, "no logs")
                    self.ended = True
                    return
                self.app.call_from_thread(view.set_note, f"{describe_error(exc)} — retrying in {delay:.0f}s")
                if not _sleep_unless_cancelled(worker, delay):
                    return
                delay = min(delay * 2, 8.0)
                continue
            if not first:
                self.app.call_from_thread(view.mark, "log stream resumed")
            first, delay = False, 0.5
            self._stream = stream
            self.app.call_from_thread(view.set_note, f"streaming ({rng.label})")
            dropped = ""
            partial = b""
            try:
                for chunk in stream:
                    if worker.is_cancelled:
                        break
                    data = partial + chunk
                    parts = data.split(b"\n")
                    partial = parts.pop()
                    fresh = resume.keep(parts)
                    if fresh:
                        view.queue_lines([to_text(p) for p in fresh])
                fresh = resume.keep([partial]) if partial else []
                if fresh:
                    view.queue_lines([to_text(p) for p in fresh])
            except Exception as exc:  # noqa: BLE001 - the stream dropped
                dropped = describe_error(exc)
            finally:
                stream.close()
            if worker.is_cancelled:
                return
            time.sleep(0.06)  # let the queued lines land before a marker
            state = self._container_state()
            if state is not None and state.get("Status") in ("exited", "dead"):
                note = f"container exited with code {state.get('ExitCode')}" + (" (OOMKilled)" if state.get("OOMKilled") else "")
                self.ended = True
                self.app.call_from_thread(view.mark, note)
                self.app.call_from_thread(view.set_note, note)
                return
            why = f"log stream dropped ({dropped})" if dropped else "log stream ended"
            self.app.call_from_thread(view.mark, why + " — reconnecting")
            if not _sleep_unless_cancelled(worker, delay):
                return

    def _container_state(self) -> dict[str, Any] | None:
        """The container's State, or None when the engine cannot tell (unreachable)."""
        try:
            return (self.source.inspect_container(self.container_id) or {}).get("State") or {}
        except Exception:  # noqa: BLE001
            return None

    def _container_alive(self) -> bool:
        """False only when the engine answers and the container is gone."""
        try:
            self.source.inspect_container(self.container_id)
        except Exception as exc:  # noqa: BLE001
            return "NotFound" not in {cls.__name__ for cls in type(exc).__mro__}
        return True

    def _range(self, key: str) -> LogRange:
        settings = _settings(self)
        return log_range(key, getattr(settings, "log_tail_lines", 200), getattr(settings, "log_buffer_lines", 10_000))

    def _title(self) -> Text:
        t = Text(f" logs: {safe_text(self.container_name)} ", style="bold reverse")
        t.append(f"  {self.range.label}", style="bold")
        t.append("  0 tail · 1 all kept · 2-6 last 1m/5m/15m/30m/1h", style="dim")
        return t

    def action_log_range(self, key: str) -> None:
        """`0` the tail, `1` all the ring buffer holds, `2`-`6` the last 1m/5m/15m/30m/1h: reload."""
        self.range = self._range(key)
        self._stop_following()
        self.ended = False
        self.view.clear()
        self.query_one("#dockerlogs-title", Static).update(self._title())
        self.follow_logs()

    def _stop_following(self) -> None:
        # cancel first: a worker whose stream ends after this must not mark "ended — reconnecting"
        self.workers.cancel_group(self, "container-logs")
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def action_close(self) -> None:
        self._stop_following()
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self._stream is not None:
            self._stream.close()


# -- stats ----------------------------------------------------------------------------------------------


class StatsSample(Message):
    def __init__(self, sample: dict[str, Any]) -> None:
        super().__init__()
        self.sample = sample


class ContainerStatsScreen(Screen[None]):
    """Live CPU % (docker CLI maths), memory without page cache, with sparklines."""

    BINDINGS = [Binding("escape,q", "close", "Back", id="dockerstats.close")]
    HISTORY = 120

    def __init__(self, source: DockerSource, container_id: str, name: str) -> None:
        super().__init__(classes="docker-screen")
        self.source = source
        self.container_id = container_id
        self.container_name = name
        self.cpu: deque[float] = deque(maxlen=self.HISTORY)
        self.mem: deque[float] = deque(maxlen=self.HISTORY)
        self.samples = 0
        self.last: dict[str, Any] = {}
        self._stream: Any = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f" stats: {safe_text(self.container_name)} ", style="bold reverse"), classes="screen-title")
        yield Static("waiting for the first sample…", id="stats-figures")
        yield Label("CPU %", classes="stats-label", id="stats-cpu-label")
        yield Sparkline(list(self.cpu), id="stats-cpu", classes="stats-spark")
        yield Label("memory without page cache", classes="stats-label", id="stats-mem-label")
        yield Sparkline(list(self.mem), id="stats-mem", classes="stats-spark")
        yield Footer()

    def on_mount(self) -> None:
        self.read_stats()

    @work(thread=True, exit_on_error=False, group="container-stats")
    def read_stats(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            stream = self.source.stats(self.container_id)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._error, describe_error(exc, what="stats"))
            return
        self._stream = stream
        try:
            for sample in stream:
                if worker.is_cancelled:
                    break
                self.post_message(StatsSample(sample))
        except Exception as exc:  # noqa: BLE001
            if not worker.is_cancelled:
                self.app.call_from_thread(self._error, describe_error(exc, what="stats stream"))
        finally:
            stream.close()

    def _error(self, message: str) -> None:
        self.query_one("#stats-figures", Static).update(Text(message, style="bold red"))

    def on_stats_sample(self, message: StatsSample) -> None:
        sample = message.sample
        self.samples += 1
        self.last = sample
        cpu = ia.cpu_percent(sample)
        used, limit, pct = ia.memory_usage(sample)
        self.cpu.append(cpu)
        self.mem.append(float(used))
        net_rx = sum(int(n.get("rx_bytes", 0)) for n in (sample.get("networks") or {}).values())
        net_tx = sum(int(n.get("tx_bytes", 0)) for n in (sample.get("networks") or {}).values())
        blk = (sample.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
        rd = sum(int(b.get("value", 0)) for b in blk if str(b.get("op", "")).lower() == "read")
        wr = sum(int(b.get("value", 0)) for b in blk if str(b.get("op", "")).lower() == "write")
        pids = (sample.get("pids_stats") or {}).get("current", 0)
        text = Text()
        text.append("CPU ", style="dim")
        text.append(f"{cpu:6.2f} %", style="bold")
        text.append("   MEM ", style="dim")
        text.append(f"{binary_size(used)} / {binary_size(limit)} ({pct:.2f} %)", style="bold")
        text.append("\nNET ", style="dim")
        text.append(f"{human_size(net_rx)} / {human_size(net_tx)}")
        text.append("   BLOCK ", style="dim")
        text.append(f"{human_size(rd)} / {human_size(wr)}")
        text.append("   PIDS ", style="dim")
        text.append(str(pids))
        self.query_one("#stats-figures", Static).update(text)
        # a sparkline scales from its smallest to its largest value: say what that range is, so
        # 0.24 % vs 0.25 % is not read as a spike
        self.query_one("#stats-cpu", Sparkline).data = list(self.cpu)
        self.query_one("#stats-mem", Sparkline).data = list(self.mem)
        self.query_one("#stats-cpu-label", Label).update(
            f"CPU %  (range {min(self.cpu):.2f}–{max(self.cpu):.2f} % over {len(self.cpu)} s)")
        self.query_one("#stats-mem-label", Label).update(
            f"memory without page cache  (range {binary_size(min(self.mem))}–{binary_size(max(self.mem))})")

    def action_close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        self.workers.cancel_group(self, "container-stats")
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self._stream is not None:
            self._stream.close()


# -- inspect ----------------------------------------------------------------------------------------------


class InspectScreen(Screen[None]):
    """Inspect an image or a container: env (secrets masked, `v` reveals the highlighted one),
    mounts, networks, health, labels; images also get the layer history and size advice."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="inspect.close"),
        Binding("v", "reveal", "Reveal value", id="inspect.reveal"),
        Binding("L", "layers", "Layers/waste", id="inspect.layers"),
    ]

    def __init__(self, source: DockerSource, kind: str, ref: str, name: str) -> None:
        super().__init__(classes="docker-screen")
        self.source = source
        self.kind = kind  # "image" or "container"
        self.ref = ref
        self.display_name = name
        self.env: list[str] = []
        self.revealed: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static(Text(f" inspect {self.kind}: {safe_text(self.display_name)} ", style="bold reverse"), classes="screen-title")
        with VerticalScroll(id="inspect-scroll"):
            yield Static("loading…", id="inspect-top")
            yield Label("Environment (secret-looking values masked; v reveals the highlighted one)", classes="inspect-label")
            yield DataTable(id="inspect-env", cursor_type="row", zebra_stripes=False)
            yield Static("", id="inspect-bottom")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#inspect-env", DataTable)
        table.add_column("name", key="name")
        table.add_column("value", key="value")
        table.focus()
        self.load()

    @work(thread=True, exit_on_error=False, group="inspect")
    def load(self) -> None:
        try:
            if self.kind == "container":
                info = self.source.inspect_container(self.ref)
                state = info.get("State") or {}
                lines = self.source.log_tail(self.ref, 10) if state.get("Status") != "running" else []
                self.app.call_from_thread(self._show_container, info, lines)
            else:
                info = self.source.inspect_image(self.ref)
                history = self.source.history(self.ref)
                self.app.call_from_thread(self._show_image, info, history)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self.query_one("#inspect-top", Static).update,
                                      Text(describe_error(exc, what="inspect"), style="bold red"))

    def _fill_env(self) -> None:
        table = self.query_one("#inspect-env", DataTable)
        row = table.cursor_row
        table.clear()
        for name, value, masked in ia.mask_env(self.env, self.revealed):
            table.add_row(Text(name), Text(value, style="yellow" if masked else ""), key=name)
        if self.env:
            table.move_cursor(row=min(row, len(self.env) - 1))

    def _show_container(self, info: dict[str, Any], lines: list[str]) -> None:
        self.env = list((info.get("Config") or {}).get("Env") or [])
        self.query_one("#inspect-top", Static).update(troubleshoot_text(info, lines))
        self._fill_env()
        text = Text()
        mounts = info.get("Mounts") or []
        text.append("\nMounts\n", style="bold")
        for m in mounts:
            text.append(f"  {safe_text(m.get('Source'))} -> {safe_text(m.get('Destination'))} ({m.get('Type')}, {'rw' if m.get('RW') else 'ro'})\n")
        if not mounts:
            text.append("  none\n", style="dim")
        text.append("Networks\n", style="bold")
        nets = ((info.get("NetworkSettings") or {}).get("Networks") or {})
        for name, net in nets.items():
            text.append(f"  {safe_text(name)} {safe_text(net.get('IPAddress') or '-')}\n")
        if not nets:
            text.append(f"  {safe_text((info.get('HostConfig') or {}).get('NetworkMode') or 'none')}\n")
        health = ((info.get("State") or {}).get("Health") or {})
        if health:
            text.append("Health\n", style="bold")
            text.append(f"  {safe_text(health.get('Status'))}, failing streak {health.get('FailingStreak', 0)}\n")
            for h in (health.get("Log") or [])[-3:]:
                text.append(f"  exit {h.get('ExitCode')}: {safe_text(h.get('Output'), 200)}\n")
        labels = masking.mask_labels((info.get("Config") or {}).get("Labels"))
        text.append("Labels\n", style="bold")
        for k, v in sorted(labels.items()):
            text.append(f"  {safe_text(k)}={safe_text(v)}\n")
        text.append("Image ", style="bold")
        text.append(safe_text((info.get("Config") or {}).get("Image")) + "\n")
        self.query_one("#inspect-bottom", Static).update(text)

    def _show_image(self, info: dict[str, Any], history: list[dict[str, Any]]) -> None:
        cfg = info.get("Config") or {}
        self.env = list(cfg.get("Env") or [])
        self._fill_env()
        top = Text()
        top.append(f"{safe_text(', '.join(info.get('RepoTags') or ['<none>']))}\n", style="bold")
        top.append("id         ", style="dim")
        top.append(safe_text(info.get("Id")) + "\n")
        top.append("size       ", style="dim")
        top.append(human_size(int(info.get("Size") or 0)) + "\n")
        top.append("platform   ", style="dim")
        top.append(f"{safe_text(info.get('Os'))}/{safe_text(info.get('Architecture'))}\n")
        top.append("created    ", style="dim")
        top.append(safe_text(info.get("Created"), 40) + "\n")
        top.append("entrypoint ", style="dim")
        top.append(_argv(cfg.get("Entrypoint")) + "\n")
        top.append("cmd        ", style="dim")
        top.append(_argv(cfg.get("Cmd")) + "\n")
        self.query_one("#inspect-top", Static).update(top)
        analysis = ia.analyze_history(history, int(info.get("Size") or 0), self.env, cfg.get("Labels") or {})
        self.query_one("#inspect-bottom", Static).update(history_renderable(analysis, cfg.get("Labels") or {}))

    def action_reveal(self) -> None:
        table = self.query_one("#inspect-env", DataTable)
        if not self.env or table.row_count == 0:
            return
        row_key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        name = str(row_key.value)
        if name in self.revealed:
            self.revealed.discard(name)
        elif any(n == name and masked for n, _, masked in masking.mask_env(self.env)):
            self.revealed.add(name)
            self.notify(f"revealed {name} on this screen only", timeout=3)
        else:
            self.notify(f"{name} is not masked", timeout=2)
            return
        self._fill_env()

    def action_layers(self) -> None:
        """The image's layers, file trees, waste and Go advice (`LayersScreen`)."""
        if self.kind != "image":
            self.notify("layers are for images", timeout=2)
            return
        from gotui.ui.layers_screen import LayersScreen

        self.app.push_screen(LayersScreen(self.source, self.ref, self.display_name))

    def action_close(self) -> None:
        self.dismiss(None)


def _argv(value: Any) -> str:
    """An Entrypoint/Cmd list as docker prints it (`["/app","serve"]`), or `-`."""
    import json

    if not value:
        return "-"
    return safe_text(json.dumps(value) if isinstance(value, list) else value, 300)


def history_renderable(analysis: ia.HistoryAnalysis, labels: dict[str, str]) -> Any:
    """Layer table (heavy layers marked) + advice + labels."""
    from rich.console import Group

    table = Table(box=None, pad_edge=False, expand=True, show_edge=False)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("age", no_wrap=True)
    table.add_column("instruction", overflow="fold")
    for layer in analysis.layers:
        style = "bold yellow" if layer.heavy else ("dim" if layer.size == 0 else "")
        mark = "▲ " if layer.heavy else ""
        table.add_row(Text(mark + human_size(layer.size), style=style), Text(human_age(layer.created)),
                      Text(layer.instruction, style=style))
    # the advice comes first: at 80x24 the details area shows a dozen lines, and the figures that
    # say "this image still carries the Go toolchain" matter more than the tail of the layer list
    parts: list[Any] = [Text("ⓘ " + line, style="yellow") for line in analysis.advice]
    parts += [Text("\nLayers (newest first; ▲ heavy)", style="bold"), table]
    if labels:
        parts.append(Text("Labels", style="bold"))
        for k, v in sorted(masking.mask_labels(labels).items()):
            parts.append(Text(f"  {safe_text(k)}={safe_text(v)}"))
    return Group(*parts)


# -- build ----------------------------------------------------------------------------------------------


class BuildFailed(Exception):
    """A build that did not succeed; carries the BuildResult."""

    def __init__(self, result: BuildResult) -> None:
        self.result = result
        super().__init__(result.summary())


class BuildEvents(Message):
    def __init__(self, events: list[BuildEvent]) -> None:
        super().__init__()
        self.events = events


class BuildScreen(Screen[None]):
    """Build form, then the live build: step n/m, instruction, cached, output; cancellable."""

    # priority: the form's Inputs bind ctrl+x (cut) and the log's line area binds ctrl+b (page up);
    # without it, cancelling from the field you just typed in would silently cut text instead
    BINDINGS = [
        Binding("ctrl+b", "start", "Start build", id="build.start", priority=True),
        Binding("ctrl+x", "cancel_build", "Cancel build", id="build.cancel", priority=True),
        Binding("escape", "close", "Back", id="build.close"),
    ]

    def __init__(self, source: DockerSource, context_dir: str = ".", tag: str = "") -> None:
        super().__init__(classes="docker-screen")
        self.source = source
        self.initial_context = context_dir
        self.initial_tag = tag
        self.build: BuildRun | None = None
        self.result: BuildResult | None = None
        self.running = False
        self.progress = ""

    def compose(self) -> ComposeResult:
        yield Static(Text(" build an image ", style="bold reverse"), classes="screen-title")
        # compact one-line fields with labels: the form takes 4 rows, so at 80x24 the live build
        # output keeps most of the screen
        fields = (
            (("context", "build-context", self.initial_context, "context dir"),
             ("tag", "build-tag", self.initial_tag, "name:tag")),
            (("file", "build-file", "", "Dockerfile (from cwd)"), ("target", "build-target", "", "stage")),
            (("args", "build-args", "", "K=V K2=V2"), ("platform", "build-platform", "", "linux/amd64")),
        )
        with Vertical(id="build-form"):
            for row in fields:
                with Horizontal(classes="build-row"):
                    for label, wid, value, hint in row:
                        yield Label(label, classes="build-label")
                        yield Input(value, placeholder=hint, id=wid, compact=True)
            with Horizontal(classes="build-row"):
                yield Button(Text("Build"), id="build-go", variant="primary", compact=True)
                yield StateCheckbox("no cache", id="build-nocache", compact=True)
                yield StateCheckbox("pull", id="build-pull", compact=True)
                yield Label(Text(" ctrl+b build · ctrl+x cancel · esc back", style="dim"), classes="build-hint")
        yield Static("", id="build-progress")
        yield LogView(max_lines=getattr(_settings(self), "log_buffer_lines", 10_000), name_hint="build", id="build-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#build-context", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "build-go":
            self.action_start()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id and event.input.id.startswith("build-"):
            event.stop()
            self.action_start()

    def request(self) -> BuildRequest:
        val = {w.id: w.value.strip() for w in self.query(Input) if w.id and w.id.startswith("build-")}
        args = parse_build_args(val.get("build-args", "").split())
        tag = val.get("build-tag") or None
        return BuildRequest(val.get("build-context") or ".", tag=tag, dockerfile=val.get("build-file") or None,
                            target=val.get("build-target") or None, buildargs=args,
                            platform=val.get("build-platform") or None,
                            nocache=self.query_one("#build-nocache", Checkbox).value,
                            pull=self.query_one("#build-pull", Checkbox).value)

    def action_start(self) -> None:
        if self.running:
            self.notify("a build is already running (ctrl+x cancels it)", severity="warning")
            return
        try:
            req = self.request()
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        view = self.query_one(LogView)
        view.clear()
        self.build = BuildRun(self.source, req)
        self.running = True
        self.result = None
        self._set_progress(f"building {req.context_dir}…")
        build = self.build
        action = Action(verb="build", kind="build", target=req.tag or req.context_dir, context=self.source.host,
                        preview=req.command(),
                        destructive=False, reversible=True)

        def runner() -> str:
            pending: list[BuildEvent] = []
            last = [time.monotonic()]

            def on_event(ev: BuildEvent) -> None:
                pending.append(ev)
                now = time.monotonic()
                if now - last[0] > 0.05 or ev.kind in ("step", "error"):
                    self.post_message(BuildEvents(list(pending)))
                    pending.clear()
                    last[0] = now

            try:
                result = build.run(on_event)
            finally:
                if pending:
                    self.post_message(BuildEvents(list(pending)))
            if not result.ok:
                raise BuildFailed(result)
            self.result = result
            return result.summary()

        gate = getattr(self.app, "gate", None)
        if gate is not None:
            gate.perform(action, runner, on_done=self._done)
        else:  # a bare App in tests of this screen alone
            self._run_plain(runner)

    @work(thread=True, exit_on_error=False, group="build")
    def _run_plain(self, runner: Any) -> None:
        try:
            runner()
            self.app.call_from_thread(self._done, None, None)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._done, None, exc)

    def _done(self, result: Any, error: BaseException | None) -> None:
        self.running = False
        view = self.query_one(LogView)
        if error is None and self.result is not None:
            summary = self.result.summary()
            self._set_progress(summary, "bold green")
        elif isinstance(error, BuildFailed):
            self.result = error.result
            summary = error.result.summary()
            self._set_progress(summary, "bold yellow" if error.result.cancelled else "bold red")
        else:
            summary = describe_error(error) if error else "build did not run"
            self._set_progress(summary, "bold red")
            # refused before building (BuildKit-only syntax, bad tag, unknown target…): the reason
            # is a sentence or two, so write it wrapped rather than cut at the screen's edge
            import textwrap

            width = max(40, (view.lines_widget.size.width or 80) - 2)
            view.append_lines(textwrap.wrap(summary, width), style="bold red")
            view.mark("build did not run")
            return
        view.mark(summary)

    def _set_progress(self, text: str, style: str = "bold") -> None:
        self.progress = text
        self.query_one("#build-progress", Static).update(Text(safe_text(text, 300), style=style))

    def on_build_events(self, message: BuildEvents) -> None:
        view = self.query_one(LogView)
        lines: list[str] = []
        for ev in message.events:
            stage = f" [{ev.stage}]" if ev.stage and ev.stage != "stage-0" else ""
            if ev.kind == "step":
                if lines:
                    view.append_lines(lines, sanitized=True)
                    lines = []
                view.append_lines([f"Step {ev.step}/{ev.total}{stage} : {ev.text}"], style="bold cyan", sanitized=True)
                self._set_progress(f"step {ev.step}/{ev.total}{stage}: {ev.text}")
            elif ev.kind == "cached":
                lines.append(f"  CACHED {ev.text}".rstrip())
                if ev.step:
                    self._set_progress(f"step {ev.step}/{ev.total}{stage}: cached")
            elif ev.kind == "done":
                what = f" {ev.text}" if ev.text else f" step {ev.step}/{ev.total}{stage}"
                lines.append(f"  done{what} in {ev.seconds or 0.0:.2f} s")
            elif ev.kind == "vertex":
                lines.append(f"# {ev.text}")
            elif ev.kind == "output":
                lines.append("  " + ev.text)
            elif ev.kind == "error":
                if lines:
                    view.append_lines(lines, sanitized=True)
                    lines = []
                view.append_lines([f"ERROR: {ev.text}"], style="bold red", sanitized=True)
            elif ev.kind == "note":
                lines.append("note: " + ev.text)
            elif ev.kind == "command":
                lines.append("$ " + ev.text)
            elif ev.kind in ("built", "info") and ev.text.startswith("tagged"):
                lines.append("  " + ev.text)
        if lines:
            view.append_lines(lines, sanitized=True)

    def action_cancel_build(self) -> None:
        if self.build is not None and self.running:
            self.build.cancel()
            self._set_progress("cancelling…", "bold yellow")

    def action_close(self) -> None:
        if self.running and self.build is not None:
            self.build.cancel()
        self.dismiss(None)


# -- tag ------------------------------------------------------------------------------------------------


class TagModal(ModalScreen[str | None]):
    """Ask for a new name:tag for an image (Enter tags, Escape cancels)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="tag.cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="tag-box"):
            yield Static(Text(f"Tag {safe_text(self.current)} as:", style="bold"))
            yield Input(placeholder="repository:tag", id="tag-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

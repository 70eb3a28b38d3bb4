"""Docker domain logic without I/O: table rows, filters, sorting, in-use checks, the Actions
for image/container changes, and the troubleshooting summary of an exited container."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gotui import clock
from gotui.ops.actions import Action
from gotui.ops.sanitize import safe_text


def human_size(n: float) -> str:
    """Bytes as the docker CLI prints them (SI units): 1.98MB, 532kB, 12B."""
    n = float(n or 0)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(n)}B"
            return f"{n:.3g}{unit}" if n < 100 else f"{n:.0f}{unit}"
        n /= 1000
    return f"{n:.1f}TB"


def binary_size(n: float) -> str:
    """Bytes in binary units, as `docker stats` prints memory: 652KiB, 23.54GiB."""
    n = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{int(n)}B" if unit == "B" else f"{n:.2f}{unit}".replace(".00", "")
        n /= 1024
    return f"{n:.2f}TiB"


_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"}


def exit_meaning(code: int | None, oom_killed: bool = False) -> str:
    """A short reading of an exit code: `killed by SIGKILL (out of memory)`, `command not found`…"""
    if code is None:
        return ""
    if oom_killed:
        return "killed: out of memory (the memory limit was hit)"
    if code == 0:
        return "success"
    if code == 125:
        return "docker could not run the container"
    if code == 126:
        return "command cannot be executed (permissions?)"
    if code == 127:
        return "command not found"
    if 128 < code < 160:
        sig = _SIGNALS.get(code - 128, f"signal {code - 128}")
        hint = {9: " (docker kill, or stop after the grace period)", 15: " (docker stop)",
                11: " (segmentation fault)", 6: " (abort/panic)"}.get(code - 128, "")
        return f"killed by {sig}{hint}"
    if code == 2:
        return "error (a Go panic exits with 2)"
    return "the program's own error code"


def human_age(ts: float | int | None, now: float | None = None) -> str:
    """Seconds since the epoch -> `42s`, `5m`, `3h`, `12d`, `2y` (like kubectl's AGE)."""
    if not ts:
        return "-"
    delta = max(0, int((now or clock.timestamp()) - float(ts)))
    for size, unit in ((31536000, "y"), (86400, "d"), (3600, "h"), (60, "m")):
        if delta >= size * (2 if unit in ("y", "d") else 1):
            return f"{delta // size}{unit}"
    return f"{delta}s"


def short_id(image_id: str) -> str:
    return (image_id or "").removeprefix("sha256:")[:12]


def short_image(image: str) -> str:
    """A container's image as `docker ps` shows it: a bare `sha256:<64 hex>` (the image lost its
    tag) becomes the 12-character short id; names stay as they are."""
    if image.startswith("sha256:") and len(image) > 19:
        return short_id(image)
    return image


def elide(text: str, width: int) -> str:
    """`text` cut to `width` characters with `…` in the middle (keeps a tag or a suffix)."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


@dataclass(frozen=True)
class ImageRow:
    key: str  # unique per row: id + repo:tag
    image_id: str
    ref: str  # repo:tag, or <none>:<none>
    short: str
    size: int
    created: int
    containers: int
    dangling: bool
    labels: dict[str, str]

    def cells(self, now: float | None = None) -> tuple[str, ...]:
        return (safe_text(self.ref, 80), self.short, human_size(self.size), human_age(self.created, now),
                str(self.containers) if self.containers else "-")


def image_rows(images: list[dict[str, Any]], containers: list[dict[str, Any]]) -> list[ImageRow]:
    """One row per tag (as `docker images` shows them), dangling images as `<none>:<none>`."""
    users: dict[str, int] = {}
    for c in containers:
        users[c.get("ImageID", "")] = users.get(c.get("ImageID", ""), 0) + 1
    rows: list[ImageRow] = []
    for img in images:
        image_id = img.get("Id", "")
        tags = [t for t in (img.get("RepoTags") or []) if t and t != "<none>:<none>"]
        dangling = not tags
        for ref in tags or ["<none>:<none>"]:
            rows.append(ImageRow(
                key=f"{image_id}|{ref}", image_id=image_id, ref=ref, short=short_id(image_id),
                size=int(img.get("Size") or 0), created=int(img.get("Created") or 0),
                containers=users.get(image_id, 0), dangling=dangling,
                labels=dict(img.get("Labels") or {}),
            ))
    return rows


def sort_images(rows: list[ImageRow], by: str) -> list[ImageRow]:
    """by: `age` (newest first), `size` (largest first) or `name`."""
    if by == "size":
        return sorted(rows, key=lambda r: (-r.size, r.ref))
    if by == "name":
        return sorted(rows, key=lambda r: r.ref)
    return sorted(rows, key=lambda r: (-r.created, r.ref))


def matches(text: str, *fields: str) -> bool:
    """Case-insensitive substring filter over the given fields (all words must match)."""
    if not text:
        return True
    hay = " ".join(fields).lower()
    return all(word in hay for word in text.lower().split())


# `docker ps` status: "Exited (137) 2 minutes ago", and for a container in its restart loop
# "Restarting (1) 3 seconds ago" (the code of the run that just ended)
_EXITED = re.compile(r"(?:Exited|Restarting) \((-?\d+)\)")


@dataclass(frozen=True)
class ContainerRow:
    key: str
    name: str
    image: str
    state: str  # running, exited, created, paused, restarting, dead
    status: str
    exit_code: int | None
    created: int
    ports: str

    def cells(self, now: float | None = None) -> tuple[str, ...]:
        """name, state, exit, age, image, ports: the columns that matter first, so a narrow
        terminal cuts off the image and ports rather than the state and exit code."""
        code = "-" if self.exit_code is None else str(self.exit_code)
        return (elide(safe_text(self.name, 200), 32), self.state, code, human_age(self.created, now),
                elide(short_image(safe_text(self.image, 200)), 40), elide(safe_text(self.ports, 200), 40))


def _ports(ports: list[dict[str, Any]] | None) -> str:
    out = []
    for p in ports or []:
        if p.get("PublicPort"):
            out.append(f"{p.get('IP', '')}:{p['PublicPort']}->{p.get('PrivatePort')}/{p.get('Type', 'tcp')}")
        else:
            out.append(f"{p.get('PrivatePort')}/{p.get('Type', 'tcp')}")
    return ", ".join(out)


def container_rows(containers: list[dict[str, Any]]) -> list[ContainerRow]:
    rows = []
    for c in containers:
        names = c.get("Names") or [c.get("Id", "")[:12]]
        status = str(c.get("Status") or "")
        m = _EXITED.search(status)
        rows.append(ContainerRow(
            key=c.get("Id", ""), name=names[0].lstrip("/"), image=str(c.get("Image") or ""),
            state=str(c.get("State") or ""), status=status,
            exit_code=int(m.group(1)) if m else None, created=int(c.get("Created") or 0),
            ports=_ports(c.get("Ports")),
        ))
    order = {"running": 0, "restarting": 1, "paused": 2, "exited": 3, "dead": 4, "created": 5}
    return sorted(rows, key=lambda r: (order.get(r.state, 9), -r.created, r.name))


def image_users(image_id: str, containers: list[dict[str, Any]]) -> list[str]:
    """Names of the containers (running or not) created from `image_id`."""
    return [(c.get("Names") or ["?"])[0].lstrip("/") for c in containers if c.get("ImageID") == image_id]


def untag_only(row: ImageRow, rows: list[ImageRow]) -> bool:
    """True when removing `row` only drops one of several tags (as `docker rmi repo:tag` does): the
    image itself stays, so containers using it are no reason to refuse."""
    if row.dangling:
        return False
    return sum(1 for r in rows if r.image_id == row.image_id and not r.dangling) > 1


def prune_plan(dangling: list[dict[str, Any]], containers: list[dict[str, Any]]) -> tuple[int, int]:
    """(how many dangling images prune will remove, bytes freed): images used by a container stay."""
    used = {c.get("ImageID") for c in containers}
    victims = [i for i in dangling if i.get("Id") not in used]
    return len(victims), sum(int(i.get("Size") or 0) for i in victims)


# -- Actions --------------------------------------------------------------------------------------


def remove_image_action(row: ImageRow, host: str, *, force: bool = False, users: list[str] | None = None,
                        other_tags: list[str] | None = None) -> Action:
    """`docker image rm`. With `other_tags` (the image has more tags than this one) it is only an
    untag: the modal says the image stays and nothing is freed, and it is reversible."""
    target = row.ref if not row.dangling else row.short
    if other_tags:
        detail = (f"only the tag goes: image {row.short} stays as {', '.join(other_tags[:3])}"
                  f"{' …' if len(other_tags) > 3 else ''}; nothing is freed")
    else:
        detail = f"image {row.short}, {human_size(row.size)}"
    if users:
        detail += f" ⏎ used by {len(users)} container(s): {', '.join(users[:5])}" + (" (FORCED)" if force else "")
    return Action(
        verb="remove", kind="image", target=target, context=host,
        preview=f"docker image rm {'--force ' if force else ''}{target}", reversible=bool(other_tags),
        detail=detail, params={"image": target, "force": force, "image_id": row.image_id},
    )


def removal_summary(target: str, response: list[dict[str, Any]] | None) -> str:
    """What `DELETE /images/{name}` did, from its answer ([{"Untagged": …}, {"Deleted": …}]): a
    forced remove of an image that containers use only untags it, and saying "removed" would lie."""
    items = response or []
    untagged = [str(i["Untagged"]) for i in items if i.get("Untagged")]
    deleted = [str(i["Deleted"]) for i in items if i.get("Deleted")]
    if deleted:
        return f"removed {target}: the image is deleted ({len(deleted)} id(s) with its parent layers)"
    if untagged:
        return f"untagged {target}; the image itself stays (another tag or a running container uses it)"
    return f"removed {target}"


def prune_action(count: int, size: int, host: str) -> Action:
    return Action(
        verb="prune", kind="images", target=f"{count} dangling images", context=host,
        preview="docker image prune --force",
        detail=(f"{count} dangling image(s) will be removed, freeing up to {human_size(size)} "
                "(less where their layers are shared with other images)."),
        params={"count": count, "bytes": size},
    )


def container_action(verb: str, row: ContainerRow, host: str) -> Action:
    """verb: stop, restart or remove."""
    preview = {"stop": "docker stop", "restart": "docker restart", "remove": "docker rm --force"}[verb]
    return Action(
        verb=verb, kind="container", target=row.name, context=host,
        preview=f"{preview} {row.name}", reversible=verb != "remove",
        detail=f"{row.state} container from {row.image}", params={"id": row.key},
    )


def in_use_reason(row: ImageRow, users: list[str]) -> str:
    return (f"{row.ref} is used by {len(users)} container(s): {', '.join(users[:5])}. "
            "Remove them first, or press F to force-remove the image.")


# -- troubleshooting ---------------------------------------------------------------------------------


@dataclass
class Troubleshoot:
    name: str
    state: str
    exit_code: int | None
    oom_killed: bool
    error: str
    started: str
    finished: str
    restart_count: int
    health: str
    last_lines: list[str]


def troubleshoot(inspect: dict[str, Any], last_lines: list[str]) -> Troubleshoot:
    """The one-place summary of a container: exit code, OOMKilled, finished time, last lines."""
    st = inspect.get("State") or {}
    health = (st.get("Health") or {}).get("Status", "")
    return Troubleshoot(
        name=str(inspect.get("Name") or "").lstrip("/"), state=str(st.get("Status") or ""),
        exit_code=st.get("ExitCode") if st.get("Status") in ("exited", "dead", "restarting") else None,
        oom_killed=bool(st.get("OOMKilled")), error=str(st.get("Error") or ""),
        started=str(st.get("StartedAt") or ""), finished=str(st.get("FinishedAt") or ""),
        restart_count=int(inspect.get("RestartCount") or 0), health=health,
        last_lines=[safe_text(line, 400) for line in last_lines],
    )

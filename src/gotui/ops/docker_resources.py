"""Volumes and networks without I/O: table rows, who uses them, in-use refusals, remove/prune Actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gotui.ops.actions import Action
from gotui.ops.docker_ops import elide, human_size
from gotui.ops.sanitize import safe_text

PREDEFINED_NETWORKS = ("bridge", "host", "none")
ANONYMOUS_LABEL = "com.docker.volume.anonymous"


def _name(c: dict[str, Any]) -> str:
    return str((c.get("Names") or [c.get("Id", "")[:12]])[0]).lstrip("/")


def volume_users(containers: list[dict[str, Any]]) -> dict[str, list[str]]:
    """volume name -> names of the containers (running or not) that mount it."""
    out: dict[str, list[str]] = {}
    for c in containers:
        for m in c.get("Mounts") or []:
            if m.get("Type") == "volume" and m.get("Name"):
                out.setdefault(m["Name"], []).append(_name(c))
    return out


def network_users(containers: list[dict[str, Any]]) -> dict[str, list[str]]:
    """network name -> names of the containers (running or not) attached to it."""
    out: dict[str, list[str]] = {}
    for c in containers:
        for net in ((c.get("NetworkSettings") or {}).get("Networks") or {}):
            out.setdefault(net, []).append(_name(c))
        mode = (c.get("HostConfig") or {}).get("NetworkMode")
        if mode and mode not in ((c.get("NetworkSettings") or {}).get("Networks") or {}):
            out.setdefault(mode, []).append(_name(c))
    return out


@dataclass(frozen=True)
class VolumeRow:
    key: str  # the volume name
    driver: str
    scope: str
    mountpoint: str
    size: int  # -1: not known (yet)
    users: tuple[str, ...]
    labels: dict[str, str]

    @property
    def anonymous(self) -> bool:
        return ANONYMOUS_LABEL in self.labels or (len(self.key) == 64 and all(ch in "0123456789abcdef" for ch in self.key))

    def cells(self) -> tuple[str, ...]:
        size = "?" if self.size < 0 else human_size(self.size)
        used = ", ".join(self.users) if self.users else "-"
        return (elide(safe_text(self.key, 200), 28), self.driver, size, elide(safe_text(used, 200), 20),
                self.scope, elide(safe_text(self.mountpoint, 300), 40))


VOLUME_COLUMNS = ("name", "driver", "size", "used by", "scope", "mountpoint")
NETWORK_COLUMNS = ("name", "driver", "scope", "subnet", "used by", "id")


def volume_rows(volumes: list[dict[str, Any]], containers: list[dict[str, Any]],
                sizes: dict[str, int] | None = None) -> list[VolumeRow]:
    users = volume_users(containers)
    rows = [VolumeRow(key=str(v.get("Name", "")), driver=str(v.get("Driver") or ""), scope=str(v.get("Scope") or ""),
                      mountpoint=str(v.get("Mountpoint") or ""), size=(sizes or {}).get(str(v.get("Name")), -1),
                      users=tuple(users.get(str(v.get("Name")), [])), labels=dict(v.get("Labels") or {}))
            for v in volumes]
    return sorted(rows, key=lambda r: (r.anonymous, r.key))


@dataclass(frozen=True)
class NetworkRow:
    key: str  # the network name
    id: str
    driver: str
    scope: str
    subnet: str
    users: tuple[str, ...]

    @property
    def predefined(self) -> bool:
        return self.key in PREDEFINED_NETWORKS

    def cells(self) -> tuple[str, ...]:
        used = ", ".join(self.users) if self.users else "-"
        return (elide(safe_text(self.key, 200), 28), self.driver, self.scope, self.subnet or "-",
                elide(safe_text(used, 200), 24), self.id[:12])


def network_rows(networks: list[dict[str, Any]], containers: list[dict[str, Any]]) -> list[NetworkRow]:
    users = network_users(containers)
    rows = []
    for n in networks:
        configs = (n.get("IPAM") or {}).get("Config") or []
        subnet = ", ".join(str(c.get("Subnet")) for c in configs if c.get("Subnet"))
        rows.append(NetworkRow(key=str(n.get("Name", "")), id=str(n.get("Id", "")), driver=str(n.get("Driver") or ""),
                               scope=str(n.get("Scope") or ""), subnet=subnet, users=tuple(users.get(str(n.get("Name")), []))))
    return sorted(rows, key=lambda r: (not r.predefined, r.key))


# -- refusals and Actions --------------------------------------------------------------------------------


def _names(items: list[str] | tuple[str, ...], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def volume_refusal(row: VolumeRow) -> str | None:
    """Why `row` cannot be removed now, or None."""
    if row.users:
        return (f"volume {row.key} is in use by {len(row.users)} container(s): {_names(row.users)}. "
                "Remove those containers first (a volume in use cannot be removed, even with --force).")
    return None


def network_refusal(row: NetworkRow) -> str | None:
    if row.predefined:
        return f"network {row.key} is predefined by the engine and cannot be removed."
    if row.users:
        return (f"network {row.key} has {len(row.users)} container(s) attached: {_names(row.users)}. "
                "Disconnect or remove them first.")
    return None


def remove_volumes_action(rows: list[VolumeRow], host: str) -> Action:
    names = [r.key for r in rows]
    target = names[0] if len(names) == 1 else f"{len(names)} volumes"
    detail = "the data in it is deleted for good" if len(names) == 1 else (
        "these volumes and their data are deleted for good: ⏎ " + " ⏎ ".join(f"  {n}" for n in names[:12])
        + (f" ⏎   … and {len(names) - 12} more" if len(names) > 12 else ""))
    return Action(verb="remove", kind="volume" if len(names) == 1 else "volumes", target=target, context=host,
                  preview="docker volume rm " + " ".join(names), detail=detail, params={"names": names})


def remove_network_action(row: NetworkRow, host: str) -> Action:
    return Action(verb="remove", kind="network", target=row.key, context=host, preview=f"docker network rm {row.key}",
                  detail=f"{row.driver} network {row.id[:12]}", params={"names": [row.key]})


def prune_volume_plan(rows: list[VolumeRow], api_version: str) -> list[VolumeRow]:
    """The volumes `docker volume prune` removes: unused ones; from API 1.42 only anonymous ones."""
    try:
        major, minor = (int(x) for x in api_version.split(".")[:2])
    except ValueError:
        major, minor = 1, 41
    unused = [r for r in rows if not r.users]
    if (major, minor) >= (1, 42):
        return [r for r in unused if r.anonymous]
    return unused


def prune_volumes_action(victims: list[VolumeRow], host: str) -> Action:
    known = sum(r.size for r in victims if r.size > 0)
    names = [r.key for r in victims]
    return Action(verb="prune", kind="volumes", target=f"{len(victims)} unused volumes", context=host,
                  preview="docker volume prune --force",
                  detail=(f"{len(victims)} unused volume(s) and their data are deleted"
                          + (f", freeing about {human_size(known)}" if known else "") + ": ⏎ "
                          + " ⏎ ".join(f"  {n}" for n in names[:10]) + (" ⏎   …" if len(names) > 10 else "")),
                  params={"names": names})


def prune_network_plan(rows: list[NetworkRow]) -> list[NetworkRow]:
    return [r for r in rows if not r.predefined and not r.users]


def prune_networks_action(victims: list[NetworkRow], host: str) -> Action:
    names = [r.key for r in victims]
    return Action(verb="prune", kind="networks", target=f"{len(victims)} unused networks", context=host,
                  preview="docker network prune --force",
                  detail="unused networks removed: ⏎ " + " ⏎ ".join(f"  {n}" for n in names[:10])
                  + (" ⏎   …" if len(names) > 10 else ""),
                  reversible=True, params={"names": names})

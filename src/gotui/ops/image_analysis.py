"""Image and container analysis, pure functions:

- layer history: size and creating instruction per layer, the heavy ones flagged;
- toolchain advice: a final image still carrying a Go toolchain (golang base, /usr/local/go,
  GOLANG_VERSION) or over 300 MB gets the multi-stage advice with its figures;
- CPU % exactly as the docker CLI computes it, memory without the page cache;
- env secret masking for inspect views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gotui.ops import masking
from gotui.ops.docker_ops import human_size
from gotui.ops.sanitize import safe_text

BIG_IMAGE = 300_000_000  # bytes (SI, as docker prints sizes)
HEAVY_LAYER = 20_000_000

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SH = re.compile(r"^(?:\|\d+ (?:\S+=\S*\s+)*)?/bin/sh -c\s+")
_TOOLCHAIN = re.compile(r"golang|GOLANG_VERSION|/usr/local/go\b|\bgo (build|install|mod download)\b|GOPATH", re.I)


def mask_secrets(text: str) -> str:
    """Hide secret values in a layer's instruction (`ENV DB_PASSWORD=…`, build args recorded as
    `|1 GITHUB_TOKEN=…`, `--password=…`, URL passwords, tokens), as the env table does: layer
    history is as visible as the env (`gotui.ops.masking`)."""
    return masking.mask_assignments(text)


def instruction(created_by: str) -> str:
    """`/bin/sh -c #(nop)  CMD ["x"]` -> `CMD ["x"]`; `/bin/sh -c apk add` -> `RUN apk add`.
    Secret-looking values are masked (`mask_secrets`)."""
    text = (created_by or "").strip()
    if _NOP.match(text):
        text = _NOP.sub("", text).strip()
    elif _SH.match(text):
        text = "RUN " + _SH.sub("", text).strip()
    return mask_secrets(text)


@dataclass
class Layer:
    created: int
    size: int
    instruction: str
    heavy: bool = False
    toolchain: bool = False


@dataclass
class HistoryAnalysis:
    layers: list[Layer]  # newest first, as the engine returns them
    total: int
    toolchain: bool
    advice: list[str] = field(default_factory=list)

    @property
    def heavy(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.heavy]


_BASE_LABELS = ("org.opencontainers.image.base.name", "org.opencontainers.image.ref.name")


def analyze_history(history: list[dict[str, Any]], image_size: int | None = None,
                    env: list[str] | None = None, labels: dict[str, str] | None = None) -> HistoryAnalysis:
    """Flag heavy layers (top three by size over 20 MB or over 10 % of the image) and a toolchain
    (golang/go build in a layer, GOLANG_VERSION/GOPATH in the env, or a `golang` base-image label)."""
    layers = [
        Layer(int(h.get("Created") or 0), int(h.get("Size") or 0), safe_text(instruction(str(h.get("CreatedBy") or "")), 300))
        for h in history
    ]
    total = image_size if image_size is not None else sum(layer.size for layer in layers)
    biggest = sorted((layer.size for layer in layers), reverse=True)[:3]
    for layer in layers:
        layer.heavy = layer.size > 0 and layer.size in biggest and (
            layer.size >= HEAVY_LAYER or (bool(total) and layer.size >= 0.10 * total and layer.size >= 1_000_000))
        layer.toolchain = bool(_TOOLCHAIN.search(layer.instruction))
    env_toolchain = any(e.startswith(("GOLANG_VERSION=", "GOPATH=")) for e in env or [])
    label_toolchain = any(re.match(r"^(?:[\w.-]+(?::\d+)?/)*(?:library/)?golang(?::|@|$)", str((labels or {}).get(k) or ""))
                          for k in _BASE_LABELS)
    toolchain = env_toolchain or label_toolchain or any(layer.toolchain for layer in layers)
    analysis = HistoryAnalysis(layers, total, toolchain)
    analysis.advice = size_advice(analysis)
    return analysis


def size_advice(a: HistoryAnalysis) -> list[str]:
    """The multi-stage advice, with figures, when the image carries a toolchain or is over 300 MB."""
    if not a.toolchain and a.total <= BIG_IMAGE:
        return []
    out = []
    if a.toolchain:
        tool_bytes = sum(layer.size for layer in a.layers if layer.toolchain)
        out.append(
            f"This image still carries a Go build toolchain ({human_size(tool_bytes)} in layers that "
            f"mention golang/go build, image {human_size(a.total)})."
        )
    if a.total > BIG_IMAGE:
        out.append(f"The image is {human_size(a.total)} (over {human_size(BIG_IMAGE)}).")
    # no guessed figure here: which bytes are toolchain, caches or the app is only known from the
    # files (`go_advice`, the layers screen), not from layer sizes
    out.append(
        "Build in a `FROM golang:<ver> AS build` stage with CGO_ENABLED=0, then "
        "`FROM gcr.io/distroless/static` (or scratch) and `COPY --from=build /out/app /app`: "
        "the final image keeps only the binary (L: layers and measured figures)."
    )
    return out


# -- Go advice from the files of the layers (gotui.ops.layer_tree) ---------------------------------


@dataclass
class GoFigures:
    """Measured bytes: across all layers (what the image carries, deleted or not)."""

    toolchain: dict[str, int] = field(default_factory=dict)  # GOROOT dir -> bytes
    module_cache: dict[str, int] = field(default_factory=dict)
    build_cache: dict[str, int] = field(default_factory=dict)
    binaries: dict[str, Any] = field(default_factory=dict)  # path -> layer_tree.ElfInfo (Go, in the final image)
    base: str = "scratch"  # scratch / distroless / alpine / debian / ubuntu / other OS id
    base_bytes: int = 0  # bytes of the base layers (the first layer, and the OS it brings)
    final_bytes: int = 0


def _env_map(env: list[str]) -> dict[str, str]:
    return dict(e.split("=", 1) for e in env if "=" in e)


def _base_os(os_release: str) -> str:
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line)
    pretty = fields.get("PRETTY_NAME", "").strip('"')
    if "distroless" in pretty.lower():
        return "distroless"
    return fields.get("ID", "").strip('"') or "other"


def go_figures(waste: Any) -> GoFigures:
    """Toolchain (GOROOT or /usr/local/go), module cache (GOMODCACHE, $GOPATH/pkg/mod,
    ~/go/pkg/mod), build cache (GOCACHE, ~/.cache/go-build) bytes over all layers; Go binaries
    present in the final image with their strippable and dynamic-link facts; the base OS."""
    from gotui.ops import layer_tree as lt

    env = _env_map(waste.env)
    goroot = env.get("GOROOT", "/usr/local/go").rstrip("/")
    gopath = env.get("GOPATH", "/go").split(":")[0].rstrip("/")
    modcache = [env.get("GOMODCACHE", gopath + "/pkg/mod").rstrip("/"), "/root/go/pkg/mod"]
    buildcache = [env.get("GOCACHE", "/root/.cache/go-build").rstrip("/"), "/root/.cache/go-build"]
    fig = GoFigures()

    def bucket(path: str) -> tuple[dict[str, int], str] | None:
        if path == goroot or path.startswith(goroot + "/"):
            return fig.toolchain, goroot
        for d in modcache:
            if path.startswith(d + "/"):
                return fig.module_cache, d
        for d in buildcache:
            if path.startswith(d + "/"):
                return fig.build_cache, d
        if path.startswith("/home/"):
            parts = path.split("/")
            if len(parts) > 5 and parts[3:6] == ["go", "pkg", "mod"]:
                return fig.module_cache, "/".join(parts[:6])
            if len(parts) > 4 and parts[3:5] == [".cache", "go-build"]:
                return fig.build_cache, "/".join(parts[:5])
        return None

    final = lt.Node("", None)
    for layer in waste.layers:
        for node in lt._all(layer.root):
            if node.parent is None or node.children or node.entry is None or not node.entry.size:
                continue
            hit = bucket(node.path())
            if hit is not None:
                hit[0][hit[1]] = hit[0].get(hit[1], 0) + node.entry.size
        for directory in layer.opaque_dirs:
            gone = lt.get_node(final, directory)
            if gone is not None:
                gone.children.clear()
        lt.stack_onto(final, layer.root)
    for layer in waste.layers:
        for path, info in layer.elf.items():
            present = lt.get_node(final, path)
            if info.go and present is not None and present.entry is not None and present.entry.size == info.size \
                    and bucket(path) is None:
                fig.binaries[path] = info
    fig.final_bytes = final.total()
    if waste.layers:
        first = waste.layers[0]
        release = next((layer.os_release for layer in waste.layers if layer.os_release), "")
        fig.base = _base_os(release) if release else "scratch"
        fig.base_bytes = first.size if fig.base != "scratch" else 0
    return fig


def go_advice(waste: Any, fig: GoFigures | None = None) -> list[str]:
    """Advice lines with measured figures (sizes in docker's SI units)."""
    fig = fig or go_figures(waste)
    out: list[str] = []
    tool = sum(fig.toolchain.values())
    mods = sum(fig.module_cache.values())
    cache = sum(fig.build_cache.values())
    if tool:
        where = ", ".join(sorted(fig.toolchain))
        out.append(f"Go toolchain {where}: {human_size(tool)} in this image.")
    if mods:
        out.append(f"Go module cache {', '.join(sorted(fig.module_cache))}: {human_size(mods)}.")
    if cache:
        out.append(f"Go build cache {', '.join(sorted(fig.build_cache))}: {human_size(cache)}.")
    app_bytes = sum(info.size for info in fig.binaries.values())
    if tool or mods or cache:
        keep = f" (the Go binaries are {human_size(app_bytes)})" if fig.binaries else ""
        out.append(f"A multi-stage build (`FROM golang AS build` … `COPY --from=build`) drops "
                   f"{human_size(tool + mods + cache)} of toolchain and caches{keep}.")
    for path, info in sorted(fig.binaries.items()):
        if info.strippable:
            parts = []
            if info.debug_bytes:
                parts.append(f"DWARF {human_size(info.debug_bytes)}")
            if info.symtab_bytes:
                parts.append(f"symbol table {human_size(info.symtab_bytes)}")
            out.append(f"{path} ({human_size(info.size)}) keeps {' + '.join(parts)}: "
                       f'`go build -ldflags "-s -w"` saves {human_size(info.strippable)}.')
        if info.dynamic:
            out.append(f"{path} is dynamically linked (PT_INTERP): build with CGO_ENABLED=0 for a static "
                       "binary that runs FROM scratch or gcr.io/distroless/static.")
    if fig.binaries and all(not i.dynamic for i in fig.binaries.values()) and fig.base not in ("scratch", "distroless"):
        out.append(f"The binaries are static but the base is {fig.base} ({human_size(fig.base_bytes)} in its "
                   "first layer): FROM scratch or gcr.io/distroless/static would drop it.")
    return out


# -- stats ------------------------------------------------------------------------------------------


def cpu_percent(sample: dict[str, Any]) -> float:
    """CPU % as `docker stats` computes it (docker/cli stats_helpers.go calculateCPUPercentUnix):
    Δcontainer usage / Δsystem usage × online CPUs × 100; 0 unless both deltas are positive."""
    cpu = sample.get("cpu_stats") or {}
    pre = sample.get("precpu_stats") or {}
    cpu_usage = cpu.get("cpu_usage") or {}
    pre_usage = pre.get("cpu_usage") or {}
    cpu_delta = float(cpu_usage.get("total_usage") or 0) - float(pre_usage.get("total_usage") or 0)
    system_delta = float(cpu.get("system_cpu_usage") or 0) - float(pre.get("system_cpu_usage") or 0)
    online = cpu.get("online_cpus") or len(cpu_usage.get("percpu_usage") or []) or 0
    if system_delta > 0.0 and cpu_delta > 0.0:
        return cpu_delta / system_delta * float(online) * 100.0
    return 0.0


def memory_usage(sample: dict[str, Any]) -> tuple[int, int, float]:
    """(used bytes without page cache, limit, percent): usage − inactive_file (cgroup v2) or
    − total_inactive_file (cgroup v1), as docker/cli calculateMemUsageUnixNoCache."""
    mem = sample.get("memory_stats") or {}
    usage = int(mem.get("usage") or 0)
    stats = mem.get("stats") or {}
    cache = stats.get("total_inactive_file")
    if cache is None:
        cache = stats.get("inactive_file", 0)
    cache = int(cache or 0)
    used = usage - cache if cache < usage else usage
    limit = int(mem.get("limit") or 0)
    percent = used / limit * 100.0 if limit else 0.0
    return used, limit, percent


# -- env masking (gotui.ops.masking; kept here for the views that import it from this module) -----------

MASK = masking.MASK
is_secret_name = masking.is_secret_name


def mask_env(env: list[str], revealed: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str, bool]]:
    """`["K=V", ...]` -> [(name, value shown, masked?)]; names in `revealed` are shown in clear."""
    return [(safe_text(name, 200), safe_text(value, 1000), masked) for name, value, masked in masking.mask_env(env, revealed)]

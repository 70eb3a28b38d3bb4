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
    # the last layer that is not metadata is usually the copied binary in a good multi-stage build
    app_layer = next((layer for layer in a.layers if layer.size > 0 and not layer.toolchain), None)
    estimate = f" — about {human_size(app_layer.size)} for the newest non-toolchain layer" if app_layer else ""
    out.append(
        "Build in a `FROM golang:<ver> AS build` stage with CGO_ENABLED=0, then "
        "`FROM gcr.io/distroless/static` (or scratch) and `COPY --from=build /out/app /app`: "
        f"the final image keeps only the binary{estimate}."
    )
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

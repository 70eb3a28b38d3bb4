"""Small shared Kubernetes formatting helpers: timestamps and ages as kubectl prints them."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str | None) -> float | None:
    """An RFC 3339 timestamp (`2024-05-01T12:00:00Z`, fractions allowed) as epoch seconds."""
    if not value:
        return None
    try:
        text = value.replace("Z", "+00:00")
        if "." in text:  # Python accepts at most 6 fraction digits
            head, _, rest = text.partition(".")
            digits = "".join(ch for ch in rest if ch.isdigit())
            tz = rest[len(digits):]
            text = f"{head}.{digits[:6]}{tz}"
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """kubectl's `duration.HumanDuration`: 45s, 3m20s, 15m, 5h12m, 20h, 3d4h, 40d, 2y30d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(timestamp: str | None, now: float) -> str:
    """Age of an RFC 3339 timestamp, or `<unknown>`."""
    t = parse_time(timestamp)
    return "<unknown>" if t is None else human_duration(now - t)


def kube_error(exc: BaseException, *, what: str = "") -> str:
    """`describe_error` that also knows the kubernetes client's ApiException subclasses
    (NotFoundException, ForbiddenException, … raised with `_preload_content=False`)."""
    from gotui.ops.errors import describe_error

    if type(exc).__name__ != "ApiException" and any(c.__name__ == "ApiException" for c in type(exc).__mro__):

        class ApiException(Exception):  # same name: describe_error recognises it by name
            pass

        shim = ApiException(str(exc))
        shim.status = getattr(exc, "status", None)  # type: ignore[attr-defined]
        shim.body = getattr(exc, "body", None)  # type: ignore[attr-defined]
        shim.reason = getattr(exc, "reason", None)  # type: ignore[attr-defined]
        return describe_error(shim, what=what)
    return describe_error(exc, what=what)

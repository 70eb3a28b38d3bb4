"""Small shared Kubernetes formatting helpers: timestamps and ages as kubectl prints them.

The clock maths live in `gotui.clock` (one kubectl `HumanDuration`, one RFC 3339 parser); this module
gives the Kubernetes panes their epoch-seconds flavour.
"""

from __future__ import annotations

from gotui.clock import human_duration
from gotui.clock import parse_epoch as parse_time
from gotui.ops.errors import describe_error

__all__ = ["age", "human_duration", "kube_error", "parse_time"]


def age(timestamp: str | None, now: float) -> str:
    """Age of an RFC 3339 timestamp, or `<unknown>`."""
    t = parse_time(timestamp)
    return "<unknown>" if t is None else human_duration(now - t)


def kube_error(exc: BaseException, *, what: str = "") -> str:
    """One sentence for an error of the kubernetes client (its ApiException subclasses included)."""
    return describe_error(exc, what=what)

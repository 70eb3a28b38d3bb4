"""Action values: one description of every change gotui can make.

An Action is built before anything happens, checked by `ops.safety`, shown in the confirmation modal
(with its command-line equivalent), run, and written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Action:
    """A change to Docker or Kubernetes, described before it is made."""

    verb: str  # e.g. "delete", "scale", "cutover", "rollback", "remove", "prune", "stop"
    kind: str  # e.g. "pod", "deployment", "service", "image", "container", "helm-release"
    target: str  # the object's name (what a protected context makes the operator type)
    namespace: str | None = None
    context: str | None = None  # kube context, or the Docker host for Docker actions
    preview: str = ""  # the equivalent kubectl / docker / helm command line
    destructive: bool = True  # needs the confirmation modal
    reversible: bool = False
    detail: str = ""  # extra lines for the modal (from -> to, images, counts)
    # RBAC: the Kubernetes verb/resource/group an SSAR checks, when the action touches Kubernetes.
    rbac: tuple[str, str, str] | None = None  # (verb, resource, group)
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def title(self) -> str:
        """A short human title like `delete pod shop/go-api-abc`."""
        where = f"{self.namespace}/" if self.namespace else ""
        what = self.verb if self.verb == self.kind else f"{self.verb} {self.kind}"
        return f"{what} {where}{self.target}"

    @property
    def is_docker(self) -> bool:
        return self.kind in ("image", "container", "images", "containers", "build", "volume", "volumes",
                             "network", "networks", "compose-project", "docker-command")

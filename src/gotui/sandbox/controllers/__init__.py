"""Simulated controllers of the sandbox cluster (Deployment, ReplicaSet, kubelet, Endpoints, HPA,
Events, logs, traffic, Helm storage, scenarios). Entry point: `ControllerManager`."""

from .events import record_event
from .manager import ControllerManager

__all__ = ["ControllerManager", "record_event"]

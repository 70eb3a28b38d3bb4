"""gotui: a terminal operations console for Go services on Docker and Kubernetes."""

__version__ = "0.1.0"

"""Data sources: the Docker engine and the Kubernetes watch layer (threads feeding stores). No Textual."""


def preload_http_stack() -> None:
    """Import `requests` (under both the docker and the kubernetes clients) on the calling thread: two
    worker threads importing it at the same time hit its circular import. The UI calls this once before
    it starts any worker."""
    import requests  # noqa: F401

"""Fixtures of the Kubernetes tests."""

from fixtures.kubeauth_kit import plain_sandbox  # noqa: F401 - a fixture: the plain-HTTP sandbox

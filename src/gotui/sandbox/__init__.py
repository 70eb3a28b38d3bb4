"""The sandbox cluster: a Kubernetes-API-compatible server with simulated controllers."""

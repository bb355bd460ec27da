"""Kubernetes through the ``kubernetes`` client: node readiness for the ``eks_nodes`` signal,
Deployments for the stages."""

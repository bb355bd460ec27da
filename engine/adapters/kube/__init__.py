"""Kubernetes through the ``kubernetes`` client: how a cluster is reached (``access``), node
readiness for the ``eks_nodes`` signal (``nodes``), Deployments and nodes for the stages
(``workloads``) and a rollout read from the API server's JSON (``rollouts``)."""

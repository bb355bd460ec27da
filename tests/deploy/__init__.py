"""What ships beside the code: the Dockerfile, the Helm charts (rendered by Helm's own engine and
validated against Kubernetes' schemas), checkov's policies, the Prometheus rules, the Grafana
dashboard, the Loki/Alloy pipeline, the Jenkinsfile, the Terraform and the lock."""

"""The built-in plans, as phoenix.yaml would spell them; a plan of the same name there wins.

Steps that their own issue will automate (the cloud stages) are ``manual`` for now: a live run
pauses on each with its instruction, so nothing ever pretends to have failed over.
"""

from __future__ import annotations

from typing import Any

import yaml

_PLANS = """
self-heal:
  description: "Level 1: restart what is unhealthy in the primary cluster, automatically."
  stages:
    - name: find-unhealthy
      kind: manual
      drill: true
      params: {instruction: "list the EKS deployments whose pods are not ready"}
    - name: restart-unhealthy
      kind: manual
      params: {instruction: "rollout-restart each unhealthy deployment"}
    - name: wait-rollout
      kind: manual
      params: {instruction: "wait until the restarted deployments are ready again"}
    - &verify
      name: verify-services
      kind: manual
      drill: true
      params: {instruction: "verify every service answers through the new path"}

region-failover:
  description: "Level 2: fail over to the standby AWS region."
  stages:
    - name: check-replica-lag
      kind: manual
      drill: true
      params: {instruction: "check the cross-region RDS read replica lags less than the RPO"}
    - name: promote-replica
      kind: manual
      group: standby
      params: {instruction: "promote the RDS read replica in the standby region"}
    - name: scale-standby-cluster
      kind: manual
      group: standby
      params: {instruction: "scale the standby region's EKS node groups up"}
    - name: deploy-services
      kind: manual
      params: {instruction: "scale the services up in the standby region, wait for rollout"}
    - name: switch-traffic
      kind: manual
      params: {instruction: "fail the Route 53 records over to the standby region"}
    - *verify
    - &notify
      name: notify
      kind: manual
      drill: true
      params: {instruction: "notify the webhook (n8n) with an HMAC-signed message"}

dr-azure:
  description: "Level 3: DR failover from AWS to Azure."
  stages:
    - name: check-replication-lag
      kind: manual
      drill: true
      params: {instruction: "verify the RDS -> Azure SQL replication lag is within the RPO"}
    - name: catch-up-database
      kind: manual
      group: catch-up
      drill: true
      params: {instruction: "let Azure SQL catch up with RDS"}
    - name: sync-objects
      kind: manual
      group: catch-up
      drill: true
      params: {instruction: "synchronise S3 to Blob Storage"}
    - name: scale-azure-sql
      kind: manual
      group: azure-ready
      drill: true
      params: {instruction: "scale the Azure SQL database up to its production tier"}
    - name: scale-aks
      kind: manual
      group: azure-ready
      drill: true
      params: {instruction: "scale the AKS node pools up"}
    - name: deploy-services
      kind: manual
      drill: true
      params: {instruction: "deploy or scale the services on AKS and wait for the rollout"}
    - name: fence-primary
      kind: manual
      params: {instruction: "fence the old primary: disable the AWS endpoint in Traffic Manager"}
    - name: switch-traffic
      kind: manual
      params: {instruction: "raise Azure's Traffic Manager priority (and Route 53, if used)"}
    - *verify
    - *notify

failback:
  description: "Return from Azure to AWS once the primary is healthy again."
  stages:
    - name: check-reverse-replication
      kind: manual
      drill: true
      params: {instruction: "verify Azure SQL -> RDS replication has caught up"}
    - name: sync-objects-back
      kind: manual
      drill: true
      params: {instruction: "synchronise Blob Storage back to S3"}
    - name: scale-primary
      kind: manual
      params: {instruction: "scale EKS and the services in AWS back up, wait for rollout"}
    - name: switch-traffic-back
      kind: manual
      params: {instruction: "enable the AWS endpoint and restore Traffic Manager priorities"}
    - *verify
    - name: scale-down-azure
      kind: manual
      params: {instruction: "scale AKS and Azure SQL back down to their standby size"}
    - *notify
"""

BUILTIN_PLAN_DATA: dict[str, Any] = yaml.safe_load(_PLANS)
"""Plan name -> its phoenix.yaml mapping (validated into a PlanSpec by ``engine.plans``)."""

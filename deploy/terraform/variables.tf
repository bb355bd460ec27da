# The cluster the bot runs in. Both clouds trust its service account token: the IAM role
# through web identity federation (IRSA on EKS; the chart's projected token elsewhere, e.g.
# AKS on the DR side), the Azure managed identity through a federated credential.
variable "cluster_oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster the bot runs in (AKS: oidc_issuer_url; EKS: identity.oidc.issuer)."
  type        = string
  validation {
    condition     = startswith(var.cluster_oidc_issuer_url, "https://")
    error_message = "cluster_oidc_issuer_url must be an https:// URL."
  }
}

variable "kubernetes_namespace" {
  description = "Namespace of the bot's release."
  type        = string
  default     = "cloudphoenix"
}

variable "kubernetes_service_account" {
  description = "The bot's ServiceAccount (the chart's default: the release's full name)."
  type        = string
  default     = "cloudphoenix"
}

variable "name" {
  description = "Name of the IAM role, the managed identity and the custom roles."
  type        = string
  default     = "cloudphoenix"
}

variable "tags" {
  description = "Tags on every resource that takes them."
  type        = map(string)
  default     = {}
}

# --- AWS (the primary)

variable "aws_region" {
  description = "Region of the AWS provider (IAM is global)."
  type        = string
  default     = "us-east-1"
}

variable "aws_oidc_provider_arn" {
  description = "ARN of an existing IAM OIDC provider for the issuer; empty: one is created."
  type        = string
  default     = ""
}

variable "aws_oidc_thumbprints" {
  description = "Thumbprints for a created OIDC provider (empty: AWS verifies the issuer's certificate itself)."
  type        = list(string)
  default     = []
}

variable "s3_bucket_names" {
  description = "Buckets the bot synchronises (read for S3 -> Blob, written on failback)."
  type        = list(string)
  default     = []
}

variable "sqs_event_queue_arns" {
  description = "SQS queues that receive the buckets' S3 Event Notifications (recovery.objects.continuous.events_queue), read and emptied by the bot."
  type        = list(string)
  default     = []
}

variable "rds_instances" {
  description = "RDS instances the bot describes and promotes (the read replicas that feed the DR side)."
  type = list(object({
    region     = string
    identifier = string
  }))
  default = []
}

variable "route53_hosted_zone_ids" {
  description = "Hosted zones whose failover records the bot swaps."
  type        = list(string)
  default     = []
}

variable "route53_health_check_ids" {
  description = "Route 53 health checks the external-uptime signal reads."
  type        = list(string)
  default     = []
}

variable "eks_node_groups" {
  description = "EKS managed node groups the bot reads and scales."
  type = list(object({
    region    = string
    cluster   = string
    nodegroup = string
  }))
  default = []
}

variable "eks_clusters" {
  description = "EKS clusters in aws_region that the bot reaches by name from wherever it runs (phoenix.yaml `eks: {cluster: NAME}`: the eks_nodes signal, self-healing). The role may describe each, and an access entry maps it to the Kubernetes group eks_access_group, whose rights the cloudphoenix-access chart grants in that cluster. The cluster's authentication mode must allow access entries (API or API_AND_CONFIG_MAP)."
  type        = list(string)
  default     = []
}

variable "eks_access_group" {
  description = "The Kubernetes group the bot's access entries carry; the cloudphoenix-access chart binds its RBAC to it."
  type        = string
  default     = "cloudphoenix"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9:.]*[a-z0-9])?$", var.eks_access_group)) && !startswith(var.eks_access_group, "system:")
    error_message = "eks_access_group must be a plain group name; EKS refuses groups that start with system:."
  }
}

variable "secretsmanager_secret_arns" {
  description = "Secrets Manager secrets phoenix.yaml references, by full ARN as written there; the bot reads their current value. A secret encrypted with a customer managed KMS key also needs kms:Decrypt for the bot's role in that key's policy."
  type        = list(string)
  default     = []
}

# --- Azure (the DR side)

variable "azure_subscription_id" {
  description = "Subscription of the DR resources."
  type        = string
}

variable "azure_resource_group_name" {
  description = "Resource group that holds the managed identity and the custom role definitions."
  type        = string
}

variable "azure_location" {
  description = "Location of the managed identity."
  type        = string
  default     = "eastus2"
}

variable "azure_sql_server_ids" {
  description = "Azure SQL servers whose databases the bot scales and whose failover groups it fails over."
  type        = list(string)
  default     = []
}

variable "azure_traffic_manager_profile_ids" {
  description = "Traffic Manager profiles whose endpoints the bot reprioritises, enables and disables."
  type        = list(string)
  default     = []
}

variable "azure_storage_container_ids" {
  description = "Blob containers the bot synchronises into (resource manager ids of the containers)."
  type        = list(string)
  default     = []
}

variable "azure_key_vault_ids" {
  description = "Key Vaults (Azure RBAC permission model) whose secrets phoenix.yaml references: the bot gets Key Vault Secrets User on each. A vault that uses access policies needs a get-secret policy for the bot's identity instead."
  type        = list(string)
  default     = []
}

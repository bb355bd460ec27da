# The bot's AWS identity: an IAM role assumed with the cluster's service account token, and a
# policy with exactly the API actions the adapters call (engine/adapters/aws/;
# tests/deploy/test_terraform.py keeps the two in step).

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  issuer_host = trimprefix(var.cluster_oidc_issuer_url, "https://")
  partition   = data.aws_partition.current.partition
  account     = data.aws_caller_identity.current.account_id
  oidc_arn    = var.aws_oidc_provider_arn != "" ? var.aws_oidc_provider_arn : aws_iam_openid_connect_provider.cluster[0].arn
  bucket_arns = [for b in var.s3_bucket_names : "arn:${local.partition}:s3:::${b}"]
  object_arns = [for b in var.s3_bucket_names : "arn:${local.partition}:s3:::${b}/*"]
  rds_arns    = [for db in var.rds_instances : "arn:${local.partition}:rds:${db.region}:${local.account}:db:${db.identifier}"]
  zone_arns   = [for z in var.route53_hosted_zone_ids : "arn:${local.partition}:route53:::hostedzone/${z}"]
  check_arns  = [for c in var.route53_health_check_ids : "arn:${local.partition}:route53:::healthcheck/${c}"]
  cluster_arns = [for c in var.eks_clusters : "arn:${local.partition}:eks:${var.aws_region}:${local.account}:cluster/${c}"]
  nodegroup_arns = [
    for g in var.eks_node_groups :
    "arn:${local.partition}:eks:${g.region}:${local.account}:nodegroup/${g.cluster}/${g.nodegroup}/*"
  ]
}

resource "aws_iam_openid_connect_provider" "cluster" {
  count           = var.aws_oidc_provider_arn == "" ? 1 : 0
  url             = var.cluster_oidc_issuer_url
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.aws_oidc_thumbprints
  tags            = var.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "BotServiceAccount"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = ["system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "bot" {
  name                 = var.name
  description          = "CloudPhoenix DR bot (service account ${var.kubernetes_namespace}/${var.kubernetes_service_account})"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "bot" {
  # CloudWatch's GetMetricStatistics has no resource-level permissions: the RDS ReplicaLag
  # signal and the replication stage read it.
  statement {
    sid       = "ReplicaLag"
    effect    = "Allow"
    actions   = ["cloudwatch:GetMetricStatistics"]
    resources = ["*"]
  }

  # Route 53 change ids are not known in advance: GetChange polls the swap until INSYNC.
  statement {
    sid       = "Route53ChangeStatus"
    effect    = "Allow"
    actions   = ["route53:GetChange"]
    resources = ["arn:${local.partition}:route53:::change/*"]
  }

  dynamic "statement" {
    for_each = length(local.bucket_arns) > 0 ? [1] : []
    content {
      sid       = "S3List"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = local.bucket_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.object_arns) > 0 ? [1] : []
    content {
      sid       = "S3Objects"
      effect    = "Allow"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
      resources = local.object_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.sqs_event_queue_arns) > 0 ? [1] : []
    content {
      sid       = "S3EventQueues"
      effect    = "Allow"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
      resources = var.sqs_event_queue_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.rds_arns) > 0 ? [1] : []
    content {
      sid       = "RdsReplicas"
      effect    = "Allow"
      actions   = ["rds:DescribeDBInstances", "rds:PromoteReadReplica"]
      resources = local.rds_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.zone_arns) > 0 ? [1] : []
    content {
      sid       = "Route53FailoverRecords"
      effect    = "Allow"
      actions   = ["route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"]
      resources = local.zone_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.check_arns) > 0 ? [1] : []
    content {
      sid       = "Route53HealthChecks"
      effect    = "Allow"
      actions   = ["route53:GetHealthCheckStatus"]
      resources = local.check_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.nodegroup_arns) > 0 ? [1] : []
    content {
      sid       = "EksNodeGroups"
      effect    = "Allow"
      actions   = ["eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"]
      resources = local.nodegroup_arns
    }
  }

  # Clusters reached by name: their API endpoint and CA. The token itself is a presigned
  # sts:GetCallerIdentity, which needs no permission.
  dynamic "statement" {
    for_each = length(local.cluster_arns) > 0 ? [1] : []
    content {
      sid       = "EksClusterEndpoints"
      effect    = "Allow"
      actions   = ["eks:DescribeCluster"]
      resources = local.cluster_arns
    }
  }

  # The secrets phoenix.yaml references by ARN (webhook keys, bearer tokens ...): read only.
  dynamic "statement" {
    for_each = length(var.secretsmanager_secret_arns) > 0 ? [1] : []
    content {
      sid       = "SecretValues"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.secretsmanager_secret_arns
    }
  }
}

resource "aws_iam_policy" "bot" {
  name        = var.name
  description = "Exactly the AWS API actions CloudPhoenix's adapters call"
  policy      = data.aws_iam_policy_document.bot.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "bot" {
  role       = aws_iam_role.bot.name
  policy_arn = aws_iam_policy.bot.arn
}

# Inside each cluster reached by name, the role is the Kubernetes group eks_access_group and
# nothing more: no EKS access policy, because the narrowest (AmazonEKSViewPolicy,
# AmazonEKSEditPolicy) grant far more than listing nodes and restarting Deployments (Edit
# writes most namespaced objects, Secrets included). The cloudphoenix-access chart binds the
# group to exactly the calls the bot makes, as AWS advises when no access policy fits.
resource "aws_eks_access_entry" "bot" {
  for_each          = toset(var.eks_clusters)
  cluster_name      = each.value
  principal_arn     = aws_iam_role.bot.arn
  kubernetes_groups = [var.eks_access_group]
  type              = "STANDARD"
  tags              = var.tags
}

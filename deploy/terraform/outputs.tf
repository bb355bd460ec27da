output "aws_role_arn" {
  description = "The IAM role the bot assumes: cloudIdentity.aws.roleArn in the chart."
  value       = aws_iam_role.bot.arn
}

output "azure_client_id" {
  description = "The managed identity's client id: cloudIdentity.azure.clientId in the chart."
  value       = azurerm_user_assigned_identity.bot.client_id
}

output "azure_tenant_id" {
  description = "The managed identity's tenant: cloudIdentity.azure.tenantId in the chart."
  value       = azurerm_user_assigned_identity.bot.tenant_id
}

output "helm_values" {
  description = "The chart's cloudIdentity values for this identity (tokenSource: irsa on EKS, projected elsewhere for AWS; webhook on AKS, projected elsewhere for Azure)."
  value = {
    cloudIdentity = {
      aws   = { roleArn = aws_iam_role.bot.arn }
      azure = { clientId = azurerm_user_assigned_identity.bot.client_id, tenantId = azurerm_user_assigned_identity.bot.tenant_id }
    }
  }
}

output "eks_access_group" {
  description = "The Kubernetes group of the bot's EKS access entries: clusterGroup of the cloudphoenix-access chart."
  value       = var.eks_access_group
}

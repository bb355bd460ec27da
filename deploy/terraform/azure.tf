# The bot's Azure identity: a user-assigned managed identity that trusts the cluster's service
# account token (workload identity federation), with custom roles holding exactly the ARM
# actions the adapters call (engine/adapters/azure/), Storage Blob Data Contributor on
# the containers it synchronises into and Key Vault Secrets User on the vaults whose secrets
# phoenix.yaml references.

data "azurerm_resource_group" "dr" {
  name = var.azure_resource_group_name
}

resource "azurerm_user_assigned_identity" "bot" {
  name                = var.name
  resource_group_name = data.azurerm_resource_group.dr.name
  location            = var.azure_location
  tags                = var.tags
}

resource "azurerm_federated_identity_credential" "bot" {
  name                = "${var.name}-service-account"
  resource_group_name = data.azurerm_resource_group.dr.name
  parent_id           = azurerm_user_assigned_identity.bot.id
  issuer              = var.cluster_oidc_issuer_url
  subject             = "system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"
  audience            = ["api://AzureADTokenExchange"]
}

resource "azurerm_role_definition" "sql" {
  name        = "${var.name}-sql-failover"
  scope       = data.azurerm_resource_group.dr.id
  description = "CloudPhoenix: read and scale Azure SQL databases, fail over failover groups"
  permissions {
    actions = [
      "Microsoft.Sql/servers/databases/read",
      "Microsoft.Sql/servers/databases/write",
      # A change already in flight (a resumed run follows it) and why one failed.
      "Microsoft.Sql/servers/databases/operations/read",
      "Microsoft.Sql/servers/failoverGroups/read",
      "Microsoft.Sql/servers/failoverGroups/failover/action",
      "Microsoft.Sql/servers/failoverGroups/forceFailoverAllowDataLoss/action",
    ]
    not_actions = []
  }
  assignable_scopes = [data.azurerm_resource_group.dr.id]
}

# The status of the long-running scale and failover operations the adapter waits on. Azure
# SQL serves them outside the server: a database's under its resource group
# (.../resourceGroups/RG/providers/Microsoft.Sql/locations/REGION/databaseAzureAsyncOperation/ID),
# a failover group's under the subscription (.../providers/Microsoft.Sql/locations/REGION/
# failoverGroupAzureAsyncOperation/ID). A role assigned on the servers does not reach them, so
# this read-only one is assigned on the subscription.
data "azurerm_subscription" "current" {}

resource "azurerm_role_definition" "sql_operation_status" {
  name        = "${var.name}-sql-operation-status"
  scope       = data.azurerm_subscription.current.id
  description = "CloudPhoenix: read the status of Azure SQL's long-running operations"
  permissions {
    actions     = ["Microsoft.Sql/locations/*/read"]
    not_actions = []
  }
  assignable_scopes = [data.azurerm_subscription.current.id]
}

resource "azurerm_role_definition" "traffic" {
  name        = "${var.name}-traffic-failover"
  scope       = data.azurerm_resource_group.dr.id
  description = "CloudPhoenix: read Traffic Manager profiles, reprioritise, enable and disable their endpoints"
  permissions {
    actions = [
      "Microsoft.Network/trafficManagerProfiles/read",
      "Microsoft.Network/trafficManagerProfiles/azureEndpoints/read",
      "Microsoft.Network/trafficManagerProfiles/azureEndpoints/write",
      "Microsoft.Network/trafficManagerProfiles/externalEndpoints/read",
      "Microsoft.Network/trafficManagerProfiles/externalEndpoints/write",
      "Microsoft.Network/trafficManagerProfiles/nestedEndpoints/read",
      "Microsoft.Network/trafficManagerProfiles/nestedEndpoints/write",
    ]
    not_actions = []
  }
  assignable_scopes = [data.azurerm_resource_group.dr.id]
}

resource "azurerm_role_assignment" "sql" {
  for_each           = toset(var.azure_sql_server_ids)
  scope              = each.value
  role_definition_id = azurerm_role_definition.sql.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.bot.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "sql_operation_status" {
  count              = length(var.azure_sql_server_ids) > 0 ? 1 : 0
  scope              = data.azurerm_subscription.current.id
  role_definition_id = azurerm_role_definition.sql_operation_status.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.bot.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "traffic" {
  for_each           = toset(var.azure_traffic_manager_profile_ids)
  scope              = each.value
  role_definition_id = azurerm_role_definition.traffic.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.bot.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "blob" {
  for_each             = toset(var.azure_storage_container_ids)
  scope                = each.value
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.bot.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "key_vault" {
  for_each             = toset(var.azure_key_vault_ids)
  scope                = each.value
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.bot.principal_id
  principal_type       = "ServicePrincipal"
}

# An existing APIM instance read through its system-assigned identity: the plan fails when the instance has
# none (only a user-assigned one), instead of granting Key Vault access to an identity that does not exist.

mock_provider "azurerm" {
  mock_data "azurerm_key_vault" {
    defaults = {
      id                            = "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kv-shared-fw"
      rbac_authorization_enabled    = true
      public_network_access_enabled = true
      network_acls                  = [{ default_action = "Deny", bypass = "AzureServices", ip_rules = [], virtual_network_subnet_ids = [] }]
    }
  }
  mock_data "azurerm_api_management" {
    defaults = {
      identity = [{ type = "SystemAssigned, UserAssigned", principal_id = "0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1", tenant_id = "", identity_ids = [] }]
    }
  }
  mock_data "azurerm_subscription" {
    defaults = {
      id = "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90"
    }
  }
}

mock_provider "time" {}

variables {
  shared_one_pfx_path     = "cdk.tf.json"
  shared_one_pfx_password = "not-a-real-password"
}

run "system_assigned_identity_behind_the_firewall" {
  command = plan

  assert {
    condition     = azurerm_role_assignment.KeyVault_ApimSecretRead-shared-one.principal_id == "0f1e2d3c-4b5a-6978-8a9b-acbdcedfe0f1"
    error_message = "the secret must be readable by the instance's system-assigned identity"
  }

  assert {
    condition     = azurerm_api_management_certificate.Certificate-shared-one_ApiManagementCertificate.key_vault_identity_client_id == null
    error_message = "with the system-assigned identity APIM must not be pointed at a user-assigned one"
  }
}

run "instance_without_system_assigned_identity" {
  command = plan

  override_data {
    target = data.azurerm_api_management.ApiManagement
    values = {
      identity = [{ type = "UserAssigned", principal_id = "", tenant_id = "", identity_ids = ["/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-apim/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-other"] }]
    }
  }

  expect_failures = [data.azurerm_api_management.ApiManagement]
}

run "vault_firewall_shuts_out_trusted_services" {
  command = plan

  override_data {
    target = data.azurerm_key_vault.KeyVault
    values = {
      rbac_authorization_enabled    = true
      public_network_access_enabled = true
      network_acls                  = [{ default_action = "Deny", bypass = "None", ip_rules = [], virtual_network_subnet_ids = [] }]
    }
  }

  expect_failures = [data.azurerm_key_vault.KeyVault]
}

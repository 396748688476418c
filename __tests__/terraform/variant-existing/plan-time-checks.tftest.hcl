# An existing vault, APIM instance and user-assigned identity: what this stack assumes about them is checked
# by postconditions on their data sources when Terraform reads them, so a wrong assumption fails the plan,
# before any role assignment or RBAC wait. Mocked providers against the real schemas; the defaults below
# describe an estate where every assumption holds, and each failing run breaks exactly one of them.

mock_provider "azurerm" {
  mock_data "azurerm_key_vault" {
    defaults = {
      id                            = "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kv-shared"
      rbac_authorization_enabled    = true
      public_network_access_enabled = true
      network_acls                  = [{ default_action = "Allow", bypass = "AzureServices", ip_rules = [], virtual_network_subnet_ids = [] }]
    }
  }
  mock_data "azurerm_user_assigned_identity" {
    defaults = {
      id           = "/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-shared/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-apim-shared"
      principal_id = "11111111-2222-3333-4444-555555555555"
      client_id    = "66666666-7777-8888-9999-000000000000"
    }
  }
  mock_data "azurerm_api_management" {
    defaults = {
      # Azure returns resource ids in its own casing; the check compares them case-insensitively.
      identity = [{
        type         = "UserAssigned"
        principal_id = ""
        tenant_id    = ""
        identity_ids = ["/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourcegroups/rg-shared/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-apim-shared"]
      }]
    }
  }
}

mock_provider "time" {}

variables {
  partner_pem_pfx_path     = "cdk.tf.json"
  partner_pem_pfx_password = "not-a-real-password"
  partner_ec_pfx_path      = "cdk.tf.json"
  partner_ec_pfx_password  = "not-a-real-password"
}

run "assumptions_hold" {
  command = plan

  assert {
    condition     = azurerm_role_assignment.KeyVault_ApimSecretRead-partner-ec.principal_id == "11111111-2222-3333-4444-555555555555"
    error_message = "the secret must be readable by the user-assigned identity APIM uses"
  }

  assert {
    condition     = azurerm_api_management_certificate.Certificate-partner-ec_ApiManagementCertificate.key_vault_identity_client_id == "66666666-7777-8888-9999-000000000000"
    error_message = "APIM must be told which identity to read Key Vault with (its client id)"
  }
}

run "vault_firewall_denies_by_default" {
  command = plan

  override_data {
    target = data.azurerm_key_vault.KeyVault
    values = {
      rbac_authorization_enabled    = true
      public_network_access_enabled = true
      network_acls                  = [{ default_action = "Deny", bypass = "AzureServices", ip_rules = ["203.0.113.7"], virtual_network_subnet_ids = [] }]
    }
  }

  expect_failures = [data.azurerm_key_vault.KeyVault]
}

run "vault_public_access_disabled" {
  command = plan

  override_data {
    target = data.azurerm_key_vault.KeyVault
    values = {
      rbac_authorization_enabled    = true
      public_network_access_enabled = false
      network_acls                  = [{ default_action = "Allow", bypass = "AzureServices", ip_rules = [], virtual_network_subnet_ids = [] }]
    }
  }

  expect_failures = [data.azurerm_key_vault.KeyVault]
}

run "vault_uses_access_policies" {
  command = plan

  override_data {
    target = data.azurerm_key_vault.KeyVault
    values = {
      rbac_authorization_enabled    = false
      public_network_access_enabled = true
      network_acls                  = []
    }
  }

  expect_failures = [data.azurerm_key_vault.KeyVault]
}

run "identity_not_attached_to_apim" {
  command = plan

  override_data {
    target = data.azurerm_api_management.ApiManagement
    values = {
      identity = [{ type = "SystemAssigned", principal_id = "99999999-8888-7777-6666-555555555555", tenant_id = "", identity_ids = [] }]
    }
  }

  expect_failures = [data.azurerm_api_management.ApiManagement]
}

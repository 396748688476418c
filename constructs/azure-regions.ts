/**
 * Azure's public regions as `az account list-locations --query "[?metadata.regionType=='Physical'].name"`
 * names them: the values `location` takes. One table, for the environment check. A region Microsoft opens
 * later is one line here.
 */
export const AZURE_REGIONS: readonly string[] = [
  // Americas
  'eastus', 'eastus2', 'centralus', 'northcentralus', 'southcentralus', 'westcentralus', 'westus', 'westus2', 'westus3',
  'canadacentral', 'canadaeast', 'brazilsouth', 'brazilsoutheast', 'mexicocentral', 'chilecentral',
  // Europe
  'northeurope', 'westeurope', 'uksouth', 'ukwest', 'francecentral', 'francesouth', 'germanywestcentral', 'germanynorth',
  'swedencentral', 'swedensouth', 'norwayeast', 'norwaywest', 'switzerlandnorth', 'switzerlandwest', 'italynorth',
  'polandcentral', 'spaincentral', 'austriaeast', 'belgiumcentral', 'denmarkeast',
  // Asia Pacific
  'eastasia', 'southeastasia', 'japaneast', 'japanwest', 'koreacentral', 'koreasouth', 'centralindia', 'southindia',
  'westindia', 'jioindiacentral', 'jioindiawest', 'australiaeast', 'australiasoutheast', 'australiacentral',
  'australiacentral2', 'newzealandnorth', 'indonesiacentral', 'malaysiawest',
  // Middle East and Africa
  'uaenorth', 'uaecentral', 'qatarcentral', 'israelcentral', 'southafricanorth', 'southafricawest',
];

import type { EnvironmentConfig } from '../config/environment-config';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { environmentWarnings, validateAcrossEnvironments, validateEnvironment } from '../config/validate-environment';
import { ConfigurationErrors } from '../constructs/configuration-error';
import { baseEnvironment } from './support/stack-fixture';

const FILE = 'environments/unit.ts';
const problemsWith = (changes: Partial<EnvironmentConfig>): string[] =>
  validateEnvironment({ file: FILE, config: { ...baseEnvironment, ...changes } }).map((p) => p.message);
const withCertificates = (...certificates: EnvironmentConfig['certificates']) => problemsWith({ certificates });

describe('environment validation', () => {
  it('accepts the base environment', () => {
    expect(problemsWith({})).toEqual([]);
  });

  it('names the file, the field, the value, the rule and the fix in one line', () => {
    expect(problemsWith({ keyVault: { name: 'kv--app' } })).toEqual([
      'environments/unit.ts: keyVault.name = "kv--app": a Key Vault name must not contain two consecutive hyphens. Fix: replace "--" with a single hyphen',
    ]);
  });

  describe.each([
    ['shorter than 3 characters', 'kv', 'must be 3 to 24 characters long'],
    ['longer than 24 characters', 'kv-this-name-is-far-too-long', 'must be 3 to 24 characters long'],
    ['with an underscore', 'kv_app', 'must contain only letters, digits and hyphens'],
    ['starting with a digit', '1kv-app', 'must start with a letter'],
    ['ending with a hyphen', 'kv-app-', 'must end with a letter or digit'],
    ['with two consecutive hyphens', 'kv--app', 'must not contain two consecutive hyphens'],
  ])('fails when the Key Vault name is %s', (_, name, rule) => {
    it(`says it ${rule}`, () => {
      const [problem, ...rest] = problemsWith({ keyVault: { name } });
      expect(rest).toEqual([]);
      expect(problem).toContain(`keyVault.name = "${name}": a Key Vault name ${rule}`);
      expect(problem).toContain('Fix: ');
    });
  });

  describe.each([
    ['longer than 50 characters', `apim-${'x'.repeat(46)}`, 'must be 1 to 50 characters long'],
    ['starting with a digit', '9apim', 'must start with a letter'],
    ['with a dot', 'apim.unit', 'must contain only letters, digits and hyphens'],
    ['ending with a hyphen', 'apim-unit-', 'must end with a letter or digit'],
  ])('fails when the APIM name is %s', (_, name, rule) => {
    it(`says it ${rule}`, () => {
      expect(problemsWith({ apiManagement: { ...baseEnvironment.apiManagement, name } })).toEqual([
        expect.stringContaining(`apiManagement.name = "${name}": an API Management name ${rule}`),
      ]);
    });
  });

  it('fails when a certificate name has an underscore', () => {
    expect(withCertificates({ name: 'mtls_backend' })).toEqual([
      'environments/unit.ts: certificates[0].name = "mtls_backend": a Key Vault object name must contain only letters, digits and hyphens. Fix: replace underscores, dots and spaces with hyphens',
    ]);
  });

  it('fails when a certificate name is longer than 127 characters', () => {
    expect(withCertificates({ name: `c${'x'.repeat(127)}`, policyFragment: { name: 'long-name' } })).toEqual([expect.stringContaining('must be 1 to 127 characters long')]);
  });

  it('fails when a certificate name starts with a digit (it names Terraform variables)', () => {
    expect(withCertificates({ name: '1cert' })).toEqual([expect.stringContaining('certificates[0].name = "1cert": must start with a letter')]);
  });

  it('fails when two certificates in one vault share a name, case-insensitively', () => {
    const problems = validateAcrossEnvironments([
      { file: FILE, config: { ...baseEnvironment, certificates: [{ name: 'mtls' }, { name: 'MTLS' }] } },
    ]).map((p) => p.message);
    expect(problems).toEqual([
      expect.stringContaining('environments/unit.ts: certificates[1].name = "MTLS": is already used in Key Vault "kv-unit" by certificates[0]'),
    ]);
  });

  it('fails when a certificate name is already a Key Vault object of another environment sharing the vault', () => {
    const shared = { ...baseEnvironment, keyVault: { name: 'kv-shared', existing: true } };
    const problems = validateAcrossEnvironments([
      { file: 'environments/test.ts', config: { ...shared, name: 'test', apiManagement: { ...shared.apiManagement, name: 'apim-test' }, certificates: [{ name: 'partner' }] } },
      { file: 'environments/prod.ts', config: { ...shared, name: 'prod', apiManagement: { ...shared.apiManagement, name: 'apim-prod' }, certificates: [{ name: 'partner' }] } },
    ]).map((p) => p.message);
    expect(problems).toEqual([
      expect.stringMatching(/^environments\/prod\.ts: certificates\[0\]\.name = "partner": is already used in Key Vault "kv-shared" by certificates\[0\] of environments\/test\.ts \(.*a certificate also owns a secret and a key of that name\)/),
    ]);
  });

  it('fails when two environments have one name', () => {
    const problems = validateAcrossEnvironments([
      { file: 'environments/a.ts', config: { ...baseEnvironment, keyVault: { name: 'kv-a' }, apiManagement: { ...baseEnvironment.apiManagement, name: 'apim-a' } } },
      { file: 'environments/b.ts', config: { ...baseEnvironment, keyVault: { name: 'kv-b' }, apiManagement: { ...baseEnvironment.apiManagement, name: 'apim-b' } } },
    ]).map((p) => p.message);
    expect(problems).toEqual(['environments/b.ts: name = "unit": is already the name of the environment in environments/a.ts. Fix: give each environment its own name']);
  });

  it.each([
    ['subscriptionId', { subscriptionId: 'not-a-guid' }],
    ['tenantId', { tenantId: '1234' }],
    ['deployers[0].objectId', { deployers: [{ objectId: 'jane@contoso.com', type: 'User' as const }] }],
  ])('fails when %s is not a GUID', (field, changes) => {
    expect(problemsWith(changes)).toEqual([expect.stringContaining(`${field} = `)]);
    expect(problemsWith(changes)[0]).toContain('must be a GUID');
  });

  it('fails when a deployer has an unknown principal type', () => {
    const problems = problemsWith({ deployers: [{ objectId: baseEnvironment.deployers[0].objectId, type: 'App' as never }] });
    expect(problems).toEqual([expect.stringContaining('deployers[0].type = "App": must be one of "User", "Group", "ServicePrincipal"')]);
  });

  it('fails when a deployer is listed twice', () => {
    const problems = problemsWith({ deployers: [...baseEnvironment.deployers, ...baseEnvironment.deployers] });
    expect(problems).toEqual([expect.stringContaining('deployers[1].objectId = "11111111-1111-1111-1111-111111111111": is listed twice')]);
  });

  it('fails when APIM is created without a publisher email, and says why it is needed', () => {
    expect(problemsWith({ apiManagement: { name: 'apim-unit', publisherName: 'Unit' } })).toEqual([
      "environments/unit.ts: apiManagement.publisherEmail = (not set): is required. Fix: set the address that receives Azure's notifications (needed to create the instance)",
    ]);
  });

  it('fails when an existing APIM is given a user-assigned identity this stack would create', () => {
    expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } }, apiManagement: { name: 'apim-unit', existing: true, identity: { type: 'UserAssigned', name: 'id-new' } } })).toEqual([
      expect.stringContaining('apiManagement.identity.existing = (not set): must be true when APIM exists already'),
    ]);
  });

  it('does not ask for a publisher when APIM exists already', () => {
    expect(problemsWith({ apiManagement: { name: 'apim-unit', existing: true } })).toEqual([]);
  });

  it('fails on a publisher email that is not an address, and on an unknown SKU', () => {
    expect(problemsWith({ apiManagement: { ...baseEnvironment.apiManagement, publisherEmail: 'platform team', skuName: 'Gold_1' } })).toEqual([
      expect.stringContaining('apiManagement.publisherEmail = "platform team": must be an e-mail address'),
      expect.stringContaining('apiManagement.skuName = "Gold_1": must be <tier>_<capacity>'),
    ]);
  });

  it('fails on a backend URL that is not https', () => {
    expect(withCertificates({ name: 'mtls', backend: { url: 'http://backend.example' } })).toEqual([
      expect.stringContaining('certificates[0].backend.url = "http://backend.example": must be an https:// URL'),
    ]);
  });

  it('fails when two certificates would create one backend', () => {
    expect(withCertificates({ name: 'a', backend: { name: 'partner', url: 'https://a.example' } }, { name: 'b', backend: { name: 'partner', url: 'https://b.example' } })).toEqual([
      expect.stringContaining('certificates[1].backend.name = "partner": is already the backend of certificates[0]'),
    ]);
  });

  it('fails on an IP rule that is not an IPv4 address or range', () => {
    expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.300'] } } })).toEqual([
      expect.stringContaining('keyVault.networkAcls.ipRules[0] = "203.0.113.300": must be a public IPv4 address or CIDR range'),
    ]);
  });

  it('fails on a soft-delete retention outside 7-90 days', () => {
    expect(problemsWith({ keyVault: { name: 'kv-unit', softDeleteRetentionDays: 365 } })).toEqual([
      expect.stringContaining('keyVault.softDeleteRetentionDays = 365: must be a whole number of days from 7 to 90'),
    ]);
  });

  it('fails on an RBAC wait that time_sleep cannot parse', () => {
    expect(problemsWith({ rbacPropagationWait: '2 minutes' })).toEqual([expect.stringContaining('rbacPropagationWait = "2 minutes": must be a time_sleep duration')]);
  });

  it('fails on an environment name that cannot name a stack directory', () => {
    expect(problemsWith({ name: 'Dev Env' })).toEqual([expect.stringContaining('name = "Dev Env": must be 1-32 lowercase letters')]);
  });

  it('fails on a storage account name with uppercase letters or hyphens', () => {
    expect(problemsWith({ state: { resourceGroupName: 'rg-state', storageAccountName: 'st-State' } })).toEqual([
      expect.stringContaining('state.storageAccountName = "st-State": a storage account name must contain only lowercase letters and digits'),
    ]);
  });

  it('fails when there is no certificate', () => {
    expect(problemsWith({ certificates: [] })).toEqual([expect.stringContaining('certificates = []: must list at least one certificate')]);
  });

  describe('API Management identity and the vault firewall', () => {
    const userAssigned = { ...baseEnvironment.apiManagement, identity: { type: 'UserAssigned' as const, name: 'id-unit' } };

    it('fails when a user-assigned identity would read a created vault whose firewall denies by default', () => {
      expect(problemsWith({ apiManagement: userAssigned })).toEqual([
        'environments/unit.ts: apiManagement.identity.type = "UserAssigned": cannot read a vault with its firewall on (keyVault.networkAcls.defaultAction is "Deny" (the default)): Microsoft lets no user-assigned identity through a Key Vault firewall; API Management must use its system-assigned identity (API Management docs, "Requirements for Key Vault firewall"). Fix: use identity { type: "SystemAssigned" }, or turn the firewall off (networkAcls.defaultAction "Allow" with public access on), or give APIM a private network path to the vault',
      ]);
    });

    it('fails when a user-assigned identity would read a created vault without public network access', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', publicNetworkAccessEnabled: false, networkAcls: { defaultAction: 'Allow' } }, apiManagement: userAssigned })).toEqual([
        expect.stringContaining('cannot read a vault with its firewall on (keyVault.publicNetworkAccessEnabled is false)'),
      ]);
    });

    it('accepts a user-assigned identity for a created vault without firewall, and the system-assigned one behind it', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } }, apiManagement: userAssigned })).toEqual([]);
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny' } } })).toEqual([]);
    });

    it('fails when a firewalled vault shuts out trusted services, the path APIM reads by', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', bypass: 'None' } } })).toEqual([
        expect.stringContaining('keyVault.networkAcls.bypass = "None": must be "AzureServices" while the firewall is on'),
      ]);
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow', bypass: 'None' } } })).toEqual([]);
    });

    it('leaves an existing vault to the plan-time check', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', existing: true }, apiManagement: userAssigned })).toEqual([]);
    });
  });

  describe('private endpoint', () => {
    const subnetId = '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-pe';
    const privateDnsZoneId = '/subscriptions/7d1e0c59-3f0a-4a8e-9b6e-2f4c8a1d5e90/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net';

    it('accepts one for a created vault', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', privateEndpoint: { subnetId, privateDnsZoneId } } })).toEqual([]);
    });

    it('fails for an existing vault, which this stack does not manage', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', existing: true, privateEndpoint: { subnetId, privateDnsZoneId } } })).toEqual([
        expect.stringContaining('keyVault.privateEndpoint = {"subnetId":'),
      ]);
      expect(problemsWith({ keyVault: { name: 'kv-unit', existing: true, privateEndpoint: { subnetId, privateDnsZoneId } } })[0]).toContain(
        'is only for a vault this stack creates: it cannot add an endpoint to a vault it does not manage. Fix: remove it',
      );
    });

    it('fails when the subnet or the DNS zone is not a resource id of the right kind', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', privateEndpoint: { subnetId: 'snet-pe', privateDnsZoneId: privateDnsZoneId.replace('vaultcore', 'blob.core') } } })).toEqual([
        expect.stringContaining('keyVault.privateEndpoint.subnetId = "snet-pe": must be a subnet resource id'),
        expect.stringContaining('keyVault.privateEndpoint.privateDnsZoneId = "/subscriptions/'),
      ]);
    });
  });

  describe('policy fragment and API policy', () => {
    it('fails when an API policy would replace the API\'s whole policy without saying so', () => {
      expect(withCertificates({ name: 'mtls-backend', apiPolicy: { apiName: 'orders' } })).toEqual([
        'environments/unit.ts: certificates[0].apiPolicy.replaceWholePolicy = (not set): must be true to replace the whole policy of API "orders": that deletes everything its owners put in it (rate limits, JWT validation, rewrites). Fix: remove apiPolicy and add <include-fragment fragment-id="client-cert-mtls-backend" /> to the API\'s inbound policy, or set replaceWholePolicy: true if this stack alone owns that API\'s policy',
      ]);
      expect(withCertificates({ name: 'mtls-backend', apiPolicy: { apiName: 'orders', replaceWholePolicy: true } })).toEqual([]);
    });

    it('fails when two certificates publish fragments of one name', () => {
      expect(withCertificates({ name: 'one', policyFragment: { name: 'mtls' } }, { name: 'two', policyFragment: { name: 'MTLS' } })).toEqual([
        expect.stringContaining('certificates[1].policyFragment.name = "MTLS": is already the policy fragment of certificates[0] in this APIM instance'),
      ]);
    });

    it('fails when a fragment name has characters APIM does not take', () => {
      expect(withCertificates({ name: 'one', policyFragment: { name: 'mtls fragment' } })).toEqual([
        expect.stringContaining('certificates[0].policyFragment.name = "mtls fragment": must be 1-80 letters, digits and hyphens'),
      ]);
    });

    it('fails when a long certificate name makes the default fragment name too long, and says how to fix it', () => {
      const name = `c${'x'.repeat(70)}`;
      expect(withCertificates({ name })).toEqual([expect.stringContaining(`certificates[0].name = "${name}": makes the default policy fragment name "client-cert-${name}"`)]);
      expect(withCertificates({ name, policyFragment: { name: 'short' } })).toEqual([]);
    });
  });

  describe('the schema: every key, type and enum, checked at synth', () => {
    it('names an unknown key and the closest known one', () => {
      expect(problemsWith({ resourceGroupNmae: 'rg' } as never)).toEqual([
        'environments/unit.ts: resourceGroupNmae = "rg": is not a known setting (did you mean "resourceGroup"?); the known ones here are name, subscriptionId, tenantId, location, resourceGroup, keyVault, apiManagement, deployers, grantCurrentCaller, rbacPropagationWait, certificates, tags, state, policySuppressions, expiryWarnings, pipeline. Fix: rename it to "resourceGroup"',
      ]);
    });

    it('names an unknown key deep inside, with its path', () => {
      expect(withCertificates({ name: 'mtls', backend: { url: 'https://b.example', validateCertificateNmae: false } } as never)).toEqual([
        expect.stringContaining('certificates[0].backend.validateCertificateNmae = false: is not a known setting (did you mean "validateCertificateName"?)'),
      ]);
    });

    it('says a required setting is missing', () => {
      const { location: _, ...withoutLocation } = baseEnvironment;
      expect(validateEnvironment({ file: FILE, config: withoutLocation as never }).map((p) => p.message)).toEqual(['environments/unit.ts: location = (not set): is required. Fix: set it']);
    });

    it.each([
      ['an RSA key size Key Vault does not take', { name: 'c', key: { keyType: 'RSA', keySize: 1024 } }, 'certificates[0].key.keySize = 1024: must be one of 2048, 3072, 4096. Fix: use 2048, 3072 or 4096'],
      ['a curve Key Vault does not take', { name: 'c', key: { keyType: 'EC', curve: 'P-224' } }, 'certificates[0].key.curve = "P-224": must be one of "P-256", "P-384", "P-521", "P-256K"'],
      ['a key type that is neither RSA nor EC', { name: 'c', key: { keyType: 'DSA' } }, 'certificates[0].key.keyType = "DSA": must have keyType "RSA" or "EC"'],
      ['a file format other than pfx or pem', { name: 'c', format: 'der' }, 'certificates[0].format = "der": must be one of "pfx", "pem"'],
    ])('fails on %s', (_, cert, message) => {
      expect(withCertificates(cert as never)).toEqual([expect.stringContaining(message)]);
    });

    it.each([
      ['a vault SKU', { keyVault: { name: 'kv-unit', skuName: 'gold' } }, 'keyVault.skuName = "gold": must be one of "standard", "premium"'],
      ['an identity type', { apiManagement: { ...baseEnvironment.apiManagement, identity: { type: 'Both' } } }, 'apiManagement.identity.type = "Both": must have type "SystemAssigned" or "UserAssigned"'],
      ['a number given as a string', { keyVault: { name: 'kv-unit', softDeleteRetentionDays: '90' } }, 'keyVault.softDeleteRetentionDays = "90": must be a number of days. Fix: write a whole number from 7 to 90, without quotes'],
    ])('fails on %s outside its set', (_, changes, message) => {
      expect(problemsWith(changes as never)).toEqual([expect.stringContaining(message)]);
    });
  });

  describe('Azure values', () => {
    it.each(['West Europe', 'westeurope2', 'mars'])('fails on the region %j, which az account list-locations does not list', (location) => {
      expect(problemsWith({ location })).toEqual([expect.stringContaining(`location = "${location}": must be an Azure region name as \`az account list-locations\` gives it`)]);
    });

    it.each([['10s'], ['20m'], ['1h']])('fails on rbacPropagationWait %s, outside 30 s to 15 minutes', (wait) => {
      expect(problemsWith({ rbacPropagationWait: wait })).toEqual([expect.stringContaining(`rbacPropagationWait = "${wait}": must be from 30s to 15m`)]);
    });

    it('warns, without failing, on an rbacPropagationWait under 60 s', () => {
      const source = { file: FILE, config: { ...baseEnvironment, rbacPropagationWait: '45s', expiryWarnings: { contacts: [{ email: 'a@b.example' }] } } };
      expect(validateEnvironment(source)).toEqual([]);
      expect(environmentWarnings(source)).toEqual([expect.stringContaining('environments/unit.ts: rbacPropagationWait = "45s": under 60s the first import often meets ForbiddenByRbac')]);
      expect(environmentWarnings({ file: FILE, config: { ...baseEnvironment, expiryWarnings: { contacts: [{ email: 'a@b.example' }] } } })).toEqual([]);
    });

    it.each([['10.0.0.5'], ['192.168.1.0/24'], ['172.20.0.0/16'], ['127.0.0.1'], ['100.64.1.1'], ['224.0.0.1'], ['203.0.113.0/4'], ['172.32.0.0/8'], ['192.169.0.0/8']])('fails on the non-public IP rule %s, which Key Vault rejects', (ip) => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: [ip] } } })).toEqual([
        expect.stringContaining(`keyVault.networkAcls.ipRules[0] = "${ip}": must be a public IPv4 address or CIDR range`),
      ]);
    });

    it('accepts public addresses and ranges', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['203.0.113.10', '198.51.100.0/24', '20.50.0.0/16'] } } })).toEqual([]);
    });

    it("fails on a range written with host bits, which breaks every az call on the vault's rules, naming the network address", () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['20.50.60.65/27'] } } })).toEqual([
        expect.stringMatching(/keyVault\.networkAcls\.ipRules\[0\] = "20\.50\.60\.65\/27": must be written as its network address: the Azure CLI parses every rule of a vault strictly.*Fix: write "20\.50\.60\.64\/27"/),
      ]);
      expect(problemsWith({ keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['20.50.60.64/27', '20.50.60.65'] } } })).toEqual([]);
    });

    it('fails on a vault nobody can reach: firewall on, no IP rule, no private endpoint, and neither pipeline may open it', () => {
      const closed = { keyVault: { name: 'kv-unit' }, pipeline: { azureDevOps: { agentNetworkAccess: false }, github: { agentNetworkAccess: false } } };
      expect(problemsWith(closed)).toEqual([expect.stringMatching(/keyVault\.networkAcls = .*reachable by nobody.*Fix: add your agents' egress range/)]);
      expect(problemsWith({ ...closed, keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Deny', ipRules: ['20.50.60.64/27'] } } })).toEqual([]);
      expect(problemsWith({ ...closed, pipeline: { azureDevOps: { agentNetworkAccess: false } } })).toEqual([]);
    });

    it('fails on an EC key for APIM unless the environment says why it takes the reported redeployment failure', () => {
      expect(withCertificates({ name: 'ec', key: { keyType: 'EC', curve: 'P-256' } })).toEqual([
        expect.stringMatching(/certificates\[0\]\.key = .*is an EC key: .*HTTP 500 after more than two hours \(R\. Bosma.*Fix: use an RSA key .*or set key\.acceptEcKeyRisk/),
      ]);
      expect(withCertificates({ name: 'ec', key: { keyType: 'EC', curve: 'P-256', acceptEcKeyRisk: 'partner issues EC only; we redeploy by hand' } })).toEqual([]);
    });

    it('fails on tag names and values Azure does not take', () => {
      expect(problemsWith({ tags: { 'cost<center>': 'x', owner: 'y'.repeat(257) } })).toEqual([
        expect.stringContaining('tags.cost<center> = "cost<center>": must be a tag name of 1-512 characters without < > % & \\ ? /'),
        expect.stringContaining('tags.owner = "yyyy'),
      ]);
      expect(problemsWith({ tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v'])) })).toEqual([expect.stringContaining('must hold at most 50 tags')]);
    });
  });

  describe('settings this stack cannot apply', () => {
    it('fails on creation settings given for an existing vault, naming each', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', existing: true, purgeProtectionEnabled: false, networkAcls: { defaultAction: 'Deny' } } })).toEqual([
        'environments/unit.ts: keyVault.purgeProtectionEnabled = false: cannot be applied to an existing vault: this stack only reads it. Fix: remove it, and change the vault itself if it needs changing (its owners\' configuration)',
        expect.stringContaining('keyVault.networkAcls = {"defaultAction":"Deny"}: cannot be applied to an existing vault'),
      ]);
    });

    it('fails on creation settings given for an existing APIM instance', () => {
      expect(problemsWith({ apiManagement: { name: 'apim-unit', existing: true, skuName: 'Premium_1', publisherEmail: 'a@b.example' } })).toEqual([
        expect.stringContaining('apiManagement.publisherEmail = "a@b.example": cannot be applied to an existing API Management instance'),
        expect.stringContaining('apiManagement.skuName = "Premium_1": cannot be applied to an existing API Management instance'),
      ]);
    });

    it('fails on tags when the stack creates nothing they could go on', () => {
      expect(
        problemsWith({
          resourceGroup: { name: 'rg-unit', existing: true },
          keyVault: { name: 'kv-unit', existing: true },
          apiManagement: { name: 'apim-unit', existing: true },
          tags: { owner: 'platform' },
        }),
      ).toEqual([expect.stringContaining('tags = {"owner":"platform"}: apply only to resources this stack creates, and it creates none here')]);
    });
  });

  describe('one API policy per API', () => {
    it('fails when two certificates of one environment replace the same API\'s policy', () => {
      expect(withCertificates({ name: 'one', apiPolicy: { apiName: 'orders', replaceWholePolicy: true } }, { name: 'two', apiPolicy: { apiName: 'Orders', replaceWholePolicy: true } })).toEqual([
        expect.stringContaining('certificates[1].apiPolicy.apiName = "Orders": already gets its whole policy from certificates[0]'),
      ]);
    });

    it('fails when two environments on one APIM instance replace the same API\'s policy', () => {
      const shared = { ...baseEnvironment, apiManagement: { name: 'apim-shared', existing: true, resourceGroupName: 'rg-apim' } };
      const problems = validateAcrossEnvironments([
        { file: 'environments/a.ts', config: { ...shared, name: 'a', keyVault: { name: 'kv-a' }, certificates: [{ name: 'one', apiPolicy: { apiName: 'orders', replaceWholePolicy: true } }] } },
        { file: 'environments/b.ts', config: { ...shared, name: 'b', keyVault: { name: 'kv-b' }, certificates: [{ name: 'two', apiPolicy: { apiName: 'orders', replaceWholePolicy: true } }] } },
      ]).map((p) => p.message);
      expect(problems).toEqual([expect.stringContaining('environments/b.ts: certificates[0].apiPolicy.apiName = "orders": already gets its whole policy from certificates[0] of environments/a.ts in API Management "apim-shared"')]);
    });
  });

  describe('expiry warnings', () => {
    it('fails on contacts for an existing vault unless the stack is told to own them', () => {
      expect(problemsWith({ keyVault: { name: 'kv-unit', existing: true }, expiryWarnings: { contacts: [{ email: 'certs@example.com' }] } })).toEqual([
        'environments/unit.ts: expiryWarnings.contacts = ["certs@example.com"]: would replace the certificate contacts of an existing vault, which may be someone else\'s list. Fix: set expiryWarnings.manageExistingVaultContacts: true if this stack is meant to own them, or remove contacts',
      ]);
      expect(problemsWith({ keyVault: { name: 'kv-unit', existing: true }, expiryWarnings: { contacts: [{ email: 'certs@example.com' }], manageExistingVaultContacts: true } })).toEqual([]);
    });

    it('fails on a day count outside 1-365, a contact that is not an e-mail address, a webhook that is not https', () => {
      expect(problemsWith({ expiryWarnings: { daysBeforeExpiry: 0, contacts: [{ email: 'nobody' }], eventGridWebhookUrl: 'http://alerts.example.com' } })).toEqual([
        expect.stringContaining('expiryWarnings.daysBeforeExpiry = 0: must be a whole number of days from 1 to 365'),
        expect.stringContaining('expiryWarnings.contacts[0].email = "nobody": must be an e-mail address'),
        expect.stringContaining('expiryWarnings.eventGridWebhookUrl = "http://alerts.example.com": must be an https:// URL'),
      ]);
    });

    it('warns when a created vault has nobody to e-mail about expiry', () => {
      expect(environmentWarnings({ file: FILE, config: baseEnvironment })).toEqual([expect.stringContaining("expiryWarnings.contacts = (not set): Key Vault's expiry e-mails go to the vault's certificate contacts")]);
      expect(environmentWarnings({ file: FILE, config: { ...baseEnvironment, expiryWarnings: { contacts: [{ email: 'a@b.example' }] } } })).toEqual([]);
    });
  });

  it('fails when two environments on one APIM instance would both create a certificate, fragment or backend of one name', () => {
    const shared = { ...baseEnvironment, apiManagement: { name: 'apim-shared', existing: true, resourceGroupName: 'rg-apim' } };
    const problems = validateAcrossEnvironments([
      { file: 'environments/a.ts', config: { ...shared, name: 'a', keyVault: { name: 'kv-a' }, certificates: [{ name: 'partner', backend: { url: 'https://a.example' } }] } },
      { file: 'environments/b.ts', config: { ...shared, name: 'b', keyVault: { name: 'kv-b' }, certificates: [{ name: 'partner', backend: { url: 'https://b.example' } }] } },
    ]).map((p) => p.message);
    expect(problems).toEqual([
      expect.stringContaining('environments/b.ts: certificates[0].name = "partner": names the certificate "partner" in API Management "apim-shared", which environments/a.ts (certificates[0].name) creates too'),
      expect.stringContaining('names the policy fragment "client-cert-partner"'),
      expect.stringContaining('names the backend "partner"'),
    ]);
    // On different instances the same names are fine.
    expect(validateAcrossEnvironments([
      { file: 'environments/a.ts', config: { ...baseEnvironment, name: 'a', keyVault: { name: 'kv-a' }, apiManagement: { ...baseEnvironment.apiManagement, name: 'apim-a' } } },
      { file: 'environments/b.ts', config: { ...baseEnvironment, name: 'b', keyVault: { name: 'kv-b' }, apiManagement: { ...baseEnvironment.apiManagement, name: 'apim-b' } } },
    ])).toEqual([]);
  });

  it('fails when an environment file does not hold the environment of its name', () => {
    expect(validateEnvironment({ file: 'environments/staging.ts', config: { ...baseEnvironment, name: 'stage' } }).map((p) => p.message)).toEqual([
      'environments/staging.ts: name = "stage": must be the name of its file (environments/staging.ts holds environment "staging"). Fix: rename the file to environments/stage.ts, or set name: "staging"',
    ]);
  });

  it('reports every problem of every environment at once', () => {
    const load = () =>
      loadEnvironments([
        { file: 'environments/a.ts', config: { ...baseEnvironment, name: 'a', keyVault: { name: 'kv_a' } } },
        { file: 'environments/b.ts', config: { ...baseEnvironment, name: 'b', keyVault: { name: 'kv-b' }, location: 'West Europe' } },
      ]);
    expect(load).toThrow(ConfigurationErrors);
    expect(load).toThrow(/environments\/a\.ts: keyVault\.name = "kv_a".*\nenvironments\/b\.ts: location = "West Europe"/s);
  });
});

describe('environment selection', () => {
  const all = [baseEnvironment, { ...baseEnvironment, name: 'prod' }];

  it('selects all environments when none is named', () => {
    expect(selectEnvironments(all, []).map((e) => e.name)).toEqual(['unit', 'prod']);
  });

  it('selects the named ones', () => {
    expect(selectEnvironments(all, ['prod']).map((e) => e.name)).toEqual(['prod']);
  });

  it('fails on an unknown name and lists the known ones', () => {
    expect(() => selectEnvironments(all, ['staging'])).toThrow(
      'command line: environment = "staging": is not an environment in environments/ (there are: unit, prod). Fix: name one of those, or add environments/<name>.ts (nothing else registers it)',
    );
  });
});

import type { EnvironmentConfig } from '../config/environment-config';
import { loadEnvironments, selectEnvironments } from '../config/load-environments';
import { validateAcrossEnvironments, validateEnvironment } from '../config/validate-environment';
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
    expect(withCertificates({ name: `c${'x'.repeat(127)}` })).toEqual([expect.stringContaining('must be 1 to 127 characters long')]);
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
      { file: 'environments/test.ts', config: { ...shared, name: 'test', certificates: [{ name: 'partner' }] } },
      { file: 'environments/prod.ts', config: { ...shared, name: 'prod', certificates: [{ name: 'partner' }] } },
    ]).map((p) => p.message);
    expect(problems).toEqual([
      expect.stringMatching(/^environments\/prod\.ts: certificates\[0\]\.name = "partner": is already used in Key Vault "kv-shared" by certificates\[0\] of environments\/test\.ts \(.*a certificate also owns a secret and a key of that name\)/),
    ]);
  });

  it('fails when two environments have one name', () => {
    const problems = validateAcrossEnvironments([
      { file: 'environments/a.ts', config: { ...baseEnvironment, keyVault: { name: 'kv-a' } } },
      { file: 'environments/b.ts', config: { ...baseEnvironment, keyVault: { name: 'kv-b' } } },
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
    expect(problems).toEqual([expect.stringContaining('deployers[0].type = "App": must be one of User, Group, ServicePrincipal')]);
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
    expect(problemsWith({ apiManagement: { name: 'apim-unit', existing: true, identity: { type: 'UserAssigned', name: 'id-new' } } })).toEqual([
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
      expect.stringContaining('keyVault.networkAcls.ipRules[0] = "203.0.113.300": must be an IPv4 address or CIDR range'),
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
      'command line: environment = "staging": is not an environment in environments/ (there are: unit, prod). Fix: name one of those, or add environments/<name>.ts and list it in environments/index.ts',
    );
  });
});

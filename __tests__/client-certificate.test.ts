import { buildDependencyGraph, transitiveDependencies } from '../analysis/dependency-graph';
import { named, only, synthEnvironment } from './support/stack-fixture';

const CERT = 'azurerm_key_vault_certificate.Certificate-mtls-backend_KeyVaultCertificate';

describe('ClientCertificate', () => {
  it('imports the file named by a path variable with filebase64 and a sensitive password variable', () => {
    const { tf } = synthEnvironment();
    const cert = only(tf.resource, 'azurerm_key_vault_certificate');
    expect(cert.certificate).toEqual({ contents: '${filebase64(var.mtls_backend_pfx_path)}', password: '${var.mtls_backend_pfx_password}' });
    expect(tf.variable?.mtls_backend_pfx_password).toMatchObject({ type: 'string', sensitive: true });
    expect(tf.variable?.mtls_backend_pfx_path).toMatchObject({ type: 'string' });
    expect(tf.variable?.mtls_backend_pfx_path.sensitive).toBeUndefined();
  });

  it('declares an explicit policy: exportable RSA 2048 key, PKCS#12 content, unknown issuer, e-mail 30 days before expiry', () => {
    const cert = only(synthEnvironment().tf.resource, 'azurerm_key_vault_certificate');
    expect(cert.certificate_policy).toEqual({
      issuer_parameters: { name: 'Unknown' },
      key_properties: { exportable: true, key_type: 'RSA', key_size: 2048, reuse_key: false },
      secret_properties: { content_type: 'application/x-pkcs12' },
      lifetime_action: [{ action: { action_type: 'EmailContacts' }, trigger: { days_before_expiry: 30 } }],
    });
  });

  it('e-mails the contacts as many days before expiry as the environment says', () => {
    const cert = only(synthEnvironment({ expiryWarnings: { daysBeforeExpiry: 45 } }).tf.resource, 'azurerm_key_vault_certificate');
    expect(cert.certificate_policy.lifetime_action).toEqual([{ action: { action_type: 'EmailContacts' }, trigger: { days_before_expiry: 45 } }]);
  });

  it('imports a certificate whose source is PEM as a PFX: PKCS#12 content type, path and password variables', () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'mtls-pem', format: 'pem' }] });
    const cert = only(tf.resource, 'azurerm_key_vault_certificate');
    expect(cert.certificate).toEqual({ contents: '${filebase64(var.mtls_pem_pfx_path)}', password: '${var.mtls_pem_pfx_password}' });
    expect(cert.certificate_policy.secret_properties.content_type).toBe('application/x-pkcs12');
    expect(Object.keys(tf.variable ?? {}).sort()).toEqual(['mtls_pem_pfx_password', 'mtls_pem_pfx_path']);
  });

  it('writes an EC key with its curve and no key size', () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'ec-cert', key: { keyType: 'EC', curve: 'P-384', acceptEcKeyRisk: 'the partner issues EC only' } }] });
    expect(only(tf.resource, 'azurerm_key_vault_certificate').certificate_policy.key_properties).toEqual({
      exportable: true, key_type: 'EC', curve: 'P-384', reuse_key: false,
    });
  });

  it('names its variables after the certificate, with hyphens as underscores', () => {
    const { stack, tf } = synthEnvironment({ certificates: [{ name: 'Partner-A-mtls' }, { name: 'second' }] });
    expect(stack.certificates.map((c) => [c.pathVariableName, c.passwordVariableName])).toEqual([
      ['partner_a_mtls_pfx_path', 'partner_a_mtls_pfx_password'],
      ['second_pfx_path', 'second_pfx_password'],
    ]);
    expect(Object.keys(tf.variable ?? {}).sort()).toEqual(['partner_a_mtls_pfx_password', 'partner_a_mtls_pfx_path', 'second_pfx_password', 'second_pfx_path']);
  });

  it('grants APIM Key Vault Secrets User on the certificate secret only, not the vault', () => {
    const grant = named(synthEnvironment().tf.resource, 'azurerm_role_assignment', 'ApimSecretRead-mtls-backend');
    expect(grant.scope).toBe(`\${azurerm_key_vault.KeyVault.id}/secrets/\${${CERT}.name}`);
    expect(grant.role_definition_id).toMatch(/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6$/);
  });

  it('registers the certificate in APIM by its versionless secret id, after the grant has propagated', () => {
    const { tf } = synthEnvironment();
    const apimCert = only(tf.resource, 'azurerm_api_management_certificate');
    expect(apimCert.key_vault_secret_id).toBe(`\${${CERT}.versionless_secret_id}`);
    expect(apimCert.depends_on).toEqual(['time_sleep.Certificate-mtls-backend_ApimAccessPropagation_Sleep']);
    const sleep = tf.resource?.time_sleep?.['Certificate-mtls-backend_ApimAccessPropagation_Sleep'];
    expect(sleep.create_duration).toBe('120s');
    expect(sleep.triggers).toEqual({ role_assignment_0: '${azurerm_role_assignment.KeyVault_ApimSecretRead-mtls-backend.id}' });
  });

  it('imports only after the deployers\' access has propagated', () => {
    const { tf } = synthEnvironment({ rbacPropagationWait: '5m' });
    const cert = only(tf.resource, 'azurerm_key_vault_certificate');
    expect(cert.depends_on).toEqual(['time_sleep.DeployerAccessPropagation_Sleep']);
    const sleep = tf.resource?.time_sleep?.DeployerAccessPropagation_Sleep;
    expect(sleep.create_duration).toBe('5m');
    expect(sleep.depends_on).toEqual(['azurerm_role_assignment.KeyVault_DeployerAccess-11111111-1111-1111-1111-111111111111']);
  });

  it('imports without waiting when no deployer is granted here (the access exists beforehand)', () => {
    const { tf } = synthEnvironment({ deployers: [] });
    expect(only(tf.resource, 'azurerm_key_vault_certificate').depends_on).toBeUndefined();
    expect(tf.resource?.time_sleep?.DeployerAccessPropagation_Sleep).toBeUndefined();
  });

  it('keeps the whole import path free of APIM: nothing it waits for depends on APIM\'s creation', () => {
    const graph = buildDependencyGraph(synthEnvironment().tf);
    const waitsFor = transitiveDependencies(graph, CERT);
    expect(waitsFor).toContain('time_sleep.DeployerAccessPropagation_Sleep');
    expect(waitsFor).toContain('azurerm_key_vault.KeyVault');
    expect([...waitsFor].filter((a) => a.includes('api_management'))).toEqual([]);
    // ...while the APIM certificate does wait for both sides, as it must.
    const apimWaitsFor = transitiveDependencies(graph, 'azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate');
    expect(apimWaitsFor).toContain(CERT);
    expect(apimWaitsFor).toContain('azurerm_api_management.ApiManagement');
  });

  it('adds a backend with TLS chain and name validation on and the certificate as client credential', () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'mtls-backend', backend: { url: 'https://api.partner.example/v1' } }] });
    expect(only(tf.resource, 'azurerm_api_management_backend')).toMatchObject({
      name: 'mtls-backend',
      protocol: 'http',
      url: 'https://api.partner.example/v1',
      tls: { validate_certificate_chain: true, validate_certificate_name: true },
      credentials: { certificate: ['${azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate.thumbprint}'] },
    });
  });

  it('lets a backend turn TLS validation off explicitly', () => {
    const { tf } = synthEnvironment({
      certificates: [{ name: 'mtls-backend', backend: { name: 'partner', url: 'https://10.0.0.4', validateCertificateName: false } }],
    });
    expect(only(tf.resource, 'azurerm_api_management_backend')).toMatchObject({ name: 'partner', tls: { validate_certificate_chain: true, validate_certificate_name: false } });
  });

  it('publishes a policy fragment that presents the certificate by id and routes to the backend', () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'mtls-backend', backend: { url: 'https://api.partner.example' } }] });
    const fragment = only(tf.resource, 'azurerm_api_management_policy_fragment');
    expect(fragment).toMatchObject({ name: 'client-cert-mtls-backend', api_management_id: '${azurerm_api_management.ApiManagement.id}', format: 'xml' });
    expect(fragment.value).toMatch(/^<fragment>[\s\S]*<\/fragment>$/);
    expect(fragment.value).toContain('<authentication-certificate certificate-id="${azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate.name}" />');
    expect(fragment.value).toContain('<set-backend-service backend-id="${azurerm_api_management_backend.Certificate-mtls-backend_Backend.name}" />');
    expect(fragment.value).not.toContain('thumbprint');
    expect(tf.output?.mtls_backend_policy_fragment_include.value).toBe('<include-fragment fragment-id="${azurerm_api_management_policy_fragment.Certificate-mtls-backend_PolicyFragment.name}" />');
  });

  it('names the fragment as configured', () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'mtls-backend', policyFragment: { name: 'partner-mtls' } }] });
    expect(only(tf.resource, 'azurerm_api_management_policy_fragment').name).toBe('partner-mtls');
  });

  it("replaces an API's whole policy only when asked to, and then includes the fragment", () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'mtls-backend', apiPolicy: { apiName: 'orders-api', replaceWholePolicy: true } }] });
    const policy = only(tf.resource, 'azurerm_api_management_api_policy');
    expect(policy.api_name).toBe('orders-api');
    expect(policy.xml_content).toContain('<include-fragment fragment-id="${azurerm_api_management_policy_fragment.Certificate-mtls-backend_PolicyFragment.name}" />');
    expect(policy.xml_content).not.toContain('authentication-certificate');
  });

  it('refuses an API policy without replaceWholePolicy, naming the API and the fragment to include instead', () => {
    expect(() => synthEnvironment({ certificates: [{ name: 'mtls-backend', apiPolicy: { apiName: 'orders-api' } }] })).toThrow(
      'unit/Certificate-mtls-backend: apiPolicy.replaceWholePolicy = false: must be true to replace the whole policy of API "orders-api", which deletes everything its owners put in it. Fix: leave apiPolicy out and have the API include the policy fragment (<include-fragment fragment-id="client-cert-mtls-backend" />), or set replaceWholePolicy: true if this stack alone owns that API\'s policy',
    );
  });

  it('creates no backend and no API policy unless asked', () => {
    const { tf } = synthEnvironment();
    expect(tf.resource?.azurerm_api_management_backend).toBeUndefined();
    expect(tf.resource?.azurerm_api_management_api_policy).toBeUndefined();
  });

  it('outputs thumbprint, expiry, versionless secret id and APIM certificate id, none of them sensitive values', () => {
    const { tf } = synthEnvironment();
    expect(tf.output).toEqual({
      mtls_backend_thumbprint: expect.objectContaining({ value: `\${${CERT}.thumbprint}` }),
      mtls_backend_expires: expect.objectContaining({ value: `\${one(${CERT}.certificate_attribute[*].expires)}` }),
      mtls_backend_versionless_secret_id: expect.objectContaining({ value: `\${${CERT}.versionless_secret_id}` }),
      mtls_backend_apim_certificate_id: expect.objectContaining({ value: '${azurerm_api_management_certificate.Certificate-mtls-backend_ApiManagementCertificate.id}' }),
      mtls_backend_policy_fragment_include: expect.objectContaining({ value: expect.stringContaining('<include-fragment') }),
    });
    for (const output of Object.values(tf.output ?? {})) {
      expect(JSON.stringify(output)).not.toMatch(/password|contents|certificate_data/);
    }
  });

  it('gives every certificate its own chain in one stack', () => {
    const { tf } = synthEnvironment({ certificates: [{ name: 'one' }, { name: 'two' }, { name: 'three' }] });
    expect(Object.keys(tf.resource?.azurerm_key_vault_certificate ?? {})).toHaveLength(3);
    expect(Object.keys(tf.resource?.azurerm_api_management_certificate ?? {})).toHaveLength(3);
    // One deployer grant and one wait serve all imports.
    expect(Object.keys(tf.resource?.time_sleep ?? {}).sort()).toEqual([
      'Certificate-one_ApimAccessPropagation_Sleep',
      'Certificate-three_ApimAccessPropagation_Sleep',
      'Certificate-two_ApimAccessPropagation_Sleep',
      'DeployerAccessPropagation_Sleep',
    ]);
  });
});

describe('ClientCertificate with a user-assigned identity', () => {
  it('grants APIM access and waits for it without waiting for APIM\'s creation', () => {
    const graph = buildDependencyGraph(
      synthEnvironment({
        keyVault: { name: 'kv-unit', networkAcls: { defaultAction: 'Allow' } },
        apiManagement: { name: 'apim-unit', publisherName: 'Unit', publisherEmail: 'unit@example.com', identity: { type: 'UserAssigned', name: 'id-apim-unit' } },
      }).tf,
    );
    for (const address of ['azurerm_role_assignment.KeyVault_ApimSecretRead-mtls-backend', 'time_sleep.Certificate-mtls-backend_ApimAccessPropagation_Sleep']) {
      expect([address, [...transitiveDependencies(graph, address)].filter((a) => a.startsWith('azurerm_api_management.'))]).toEqual([address, []]);
    }
  });
});

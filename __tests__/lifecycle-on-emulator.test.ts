import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environment-config';
import { Rehearsal } from '../emulator/rehearsal';
import { currentVersion } from '../emulator/state';
import { reportCertificates } from '../operations/certificate-report';
import { processRunner } from '../operations/command-runner';
import { openSealedFile, pipelineRun, stackHash } from '../operations/plan-seal';
import { readStackManifest } from '../operations/stack-manifest';
import type { memoryLog } from '../operations/step-log';
import { AZ_CLI_MISSING, azCliRunner, resolveAzCli } from './support/az-cli';
import { describeWithProviders, providerMirror, resolveProviders } from './support/azurerm-provider';
import { describeWith, TOOLS } from './support/required-tools';
import { makeCertificate, type TestCertificate } from './support/test-certificates';
import { projectWithEnvironments } from './support/test-project';

// The lifecycle of one environment's stack with the REAL azurerm provider 4.55.0 (and hashicorp/time 0.13.1)
// and the REAL Terraform, driven by the project's own pipeline steps (plan job: plan + close-firewall;
// apply job: apply + apim-refresh + close-firewall) with the real az CLI, against the Azure emulator, as
// emulator/rehearsal.ts runs them (npm run rehearse runs the same). The stack has every feature: a vault
// behind a private endpoint, APIM, two certificates (a PFX and a PEM bundle), a backend, policy fragments,
// certificate contacts and Event Grid expiry events. The emulator is the only "Azure" anything reaches:
// every call goes through its loopback proxy, and a call to any other host is refused and recorded. What
// the rehearsal changes beside the synthesized stack (local state, RBAC waits of 3 s against an emulator
// that enforces a role assignment 21 s after it is made) and why: emulator/rehearsal.ts.
//
// The vault takes no public traffic (publicNetworkAccessEnabled: false): the agent reaches it through
// the private endpoint, from its virtual network. A vault with public access costs every first apply at
// least two minutes in azurerm 4.55.0 (key_vault_resource.go polls the public data plane 10 times, 10 s
// apart, after 30 s), which this suite cannot afford.

const az = resolveAzCli();
const providers = resolveProviders();
const hasTerraform = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;
const toolMissing = !az ? AZ_CLI_MISSING : !TOOLS.openssl() ? 'openssl' : !hasTerraform ? 'terraform (on PATH)' : undefined;
const suite = toolMissing ? describeWith(false, toolMissing) : describeWithProviders(providers);

const SUBSCRIPTION = '2c8e4a61-9f3b-4d7e-a5c2-8b1f6e0d9a37';
const ENV = 'orders-lc';
const RG = 'rg-orders-lc';
const VAULT = 'kv-orders-lc';
const APIM = 'apim-orders-lc';
const PFX_CERT = 'orders-partner';
const PEM_CERT = 'orders-pem';
const BACKEND = 'orders-backend';
// A rule the environment has from the start (Terraform writes it when it creates the vault), and one added later.
const FIRST_RULE = '40.112.0.0/16';
const CONFIGURED_RULE = '52.10.20.0/24';
const WEBHOOK = 'https://hooks.fabrikam.example/keyvault-expiry';
const DEPLOYER_OBJECT_ID = '7a3f5c19-2e8d-4b6a-9c1e-5d0f8b2a6e43';
const NETWORK = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-network-lc/providers/Microsoft.Network`;
const VNET = `${NETWORK}/virtualNetworks/vnet-agents`;
const SUBNET = `${VNET}/subnets/snet-endpoints`;
const ZONE = `${NETWORK}/privateDnsZones/privatelink.vaultcore.azure.net`;
const VAULT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`;
const RBAC_PROPAGATION_MS = 21_000;
const TEST_WAIT = '3s';

const environment = (ipRules: string[] = []): EnvironmentConfig => ({
  name: ENV,
  subscriptionId: SUBSCRIPTION,
  location: 'westeurope',
  // The platform team's resource group: creating one costs azurerm 4.55.0 20 s of polling (10 s, then
  // three reads 5 s apart), which this suite spends on what it tests instead.
  resourceGroup: { name: RG, existing: true },
  keyVault: {
    name: VAULT,
    publicNetworkAccessEnabled: false,
    networkAcls: { defaultAction: 'Deny', ipRules },
    privateEndpoint: { subnetId: SUBNET, privateDnsZoneId: ZONE },
  },
  apiManagement: { name: APIM, publisherName: 'Orders platform', publisherEmail: 'orders@fabrikam.example' },
  deployers: [{ objectId: DEPLOYER_OBJECT_ID, type: 'ServicePrincipal', description: 'pipeline: orders-lc' }],
  certificates: [
    { name: PFX_CERT, backend: { url: 'https://partner.fabrikam.example/api', name: BACKEND } },
    { name: PEM_CERT, format: 'pem' },
  ],
  expiryWarnings: { daysBeforeExpiry: 30, contacts: [{ email: 'orders@fabrikam.example', name: 'Orders platform' }], eventGridWebhookUrl: WEBHOOK },
  state: { resourceGroupName: 'rg-orders-tfstate', storageAccountName: 'stordersltfstate' },
});


suite('the stack on the real azurerm provider and Terraform, against the Azure emulator, driven by the pipeline steps', () => {
  jest.setTimeout(240_000);
  let rehearsal: Rehearsal;
  let emulator: Rehearsal['emulator'];
  let project: ReturnType<typeof projectWithEnvironments>;
  let work: string;
  let stackDir: string;
  let certificates: Record<string, string>;
  let pfxV1: TestCertificate;
  let pfxV2: TestCertificate;
  let pemV1: TestCertificate;
  let pemV2: TestCertificate;

  /** Synthesizes the copy's stack (npm run synth), with the rehearsal's overrides beside it (local state, 3 s RBAC waits). */
  const synth = (ipRules: string[] = [FIRST_RULE]) => {
    fs.writeFileSync(path.join(project.dir, 'environments', `${ENV}.ts`), `import type { EnvironmentConfig } from '../config/environment-config';\n\nconst stack: EnvironmentConfig = ${JSON.stringify(environment(ipRules), null, 2)};\n\nexport default stack;\n`);
    const result = project.run('scripts/synth.js', [], { CHECKPOINT_DISABLE: '1' });
    expect([result.status, result.stderr]).toEqual([0, expect.any(String)]);
    stackDir = path.join(project.dir, 'cdktf.out', 'stacks', ENV);
    rehearsal.prepareStack(stackDir, TEST_WAIT);
  };

  const planJob = (extra: NodeJS.ProcessEnv = {}) => rehearsal.planJob(stackDir, { ...certificates, ...extra });
  const applyJob = async (planDir: string) => {
    const job = await rehearsal.applyJob(stackDir, planDir);
    expect(job.error).toBeUndefined();
    return job;
  };
  const logText = (job: { log: unknown }) => (job.log as ReturnType<typeof memoryLog>).text();

  /** The saved plan inside a plan job's sealed bundle, as `terraform show -json` prints it. */
  const sealedPlan = async (planDir: string) => {
    const env = rehearsal.env;
    const files = openSealedFile(path.join(planDir, 'tfplan.enc'), { environment: ENV, stack: stackHash(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'))), run: pipelineRun(env) }, env.TF_PLAN_ENCRYPTION_KEY!);
    const planFile = path.join(work, `tfplan-${crypto.randomUUID()}`);
    fs.writeFileSync(planFile, files.get('tfplan')!, { mode: 0o600 });
    try {
      const shown = await processRunner('terraform')([`-chdir=${stackDir}`, 'show', '-json', planFile], { env, stdio: 'capture' });
      expect(shown.status).toBe(0);
      return { files, plan: JSON.parse(shown.stdout) as { resource_changes?: { address: string; change: { actions: string[]; after?: Record<string, unknown> } }[]; variables?: Record<string, { value: unknown }> } };
    } finally {
      fs.rmSync(planFile, { force: true });
    }
  };

  const changed = (plan: { resource_changes?: { address: string; change: { actions: string[] } }[] }) =>
    (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read')).map((c) => `${c.change.actions.join('+')} ${c.address}`);

  const vault = () => emulator.state.vaultByName(VAULT)!;
  const apim = () => emulator.state.apimService(SUBSCRIPTION, RG, APIM)!;
  const keyVaultThumbprint = (name: string) => currentVersion(vault().certificates.get(name)!)!.x5t && Buffer.from(currentVersion(vault().certificates.get(name)!)!.x5t!, 'base64url').toString('hex').toUpperCase();
  const backendThumbprints = () => (apim().backends.get(BACKEND)!.properties as { credentials: { certificate: string[] } }).credentials.certificate;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-emulator-'));
    const { cliConfigFile } = providerMirror((providers as { providers: Parameters<typeof providerMirror>[0] }).providers, work);
    rehearsal = await Rehearsal.start({ config: environment(), work, az: azCliRunner(az!), terraform: processRunner('terraform'), cliConfigFile, rbacPropagationMs: RBAC_PROPAGATION_MS });
    emulator = rehearsal.emulator;

    const certs = path.join(work, 'certificates');
    fs.mkdirSync(certs, { mode: 0o700 });
    pfxV1 = makeCertificate(certs, 'partner-v1');
    pfxV2 = makeCertificate(certs, 'partner-v2', { days: 400 });
    pemV1 = makeCertificate(certs, 'pem-v1');
    pemV2 = makeCertificate(certs, 'pem-v2', { days: 400 });
    certificates = { TF_VAR_orders_partner_pfx_path: pfxV1.pfx, TF_VAR_orders_partner_pfx_password: pfxV1.password, PEM_FILE_orders_pem: pemV1.pem };

    project = projectWithEnvironments([]);
    synth();
  });

  afterAll(async () => {
    await rehearsal?.stop();
    project?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('first apply of the stack with every feature: the vault behind its private endpoint, APIM, both certificates, backend, fragments, contacts and expiry events', async () => {
    const plan = await planJob();
    expect(plan.error).toBeUndefined();
    expect(plan.summary).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
    await applyJob(plan.planDir);

    const { state, requests } = emulator;
    expect(vault().properties).toMatchObject({ publicNetworkAccess: 'Disabled', enableRbacAuthorization: true, enablePurgeProtection: true, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' } });
    // The configured rule came with the vault, from Terraform: no az call tried to add it before the vault existed.
    expect(vault().properties.networkAcls.ipRules.map((r: { value: string }) => r.value)).toEqual([FIRST_RULE]);
    const endpoint = state.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Network/privateEndpoints/pe-${VAULT}`);
    expect(endpoint?.properties).toMatchObject({ subnet: { id: SUBNET }, privateLinkServiceConnections: [{ properties: { privateLinkServiceId: VAULT_ID, groupIds: ['vault'], privateLinkServiceConnectionState: { status: 'Approved' } } }] });
    expect(state.resource(ZONE)?.properties.recordSets).toEqual({ [VAULT]: [expect.stringMatching(/^10\.20\.1\.\d+$/)] });
    for (const [name, source] of [[PFX_CERT, pfxV1], [PEM_CERT, pemV1]] as const) {
      expect(vault().certificates.get(name)?.versions).toHaveLength(1);
      expect(keyVaultThumbprint(name)).toBe(source.thumbprint);
      expect(apim().certificates.get(name)).toMatchObject({ thumbprint: source.thumbprint, keyVault: { secretIdentifier: `https://${VAULT}.vault.azure.net/secrets/${name}`, lastStatus: { code: 'Success' } } });
      expect(apim().policyFragments.get(`client-cert-${name}`)?.properties.value).toContain(`<authentication-certificate certificate-id="${name}" />`);
      // APIM reads only its own secret, as its own identity.
      expect(state.roleAssignments).toContainEqual(expect.objectContaining({ principalId: apim().principalId, scope: `${VAULT_ID}/secrets/${name}` }));
    }
    expect(vault().certificates.get(PEM_CERT)?.versions[0].contentType).toBe('application/x-pkcs12');
    expect(backendThumbprints()).toEqual([pfxV1.thumbprint]);
    expect(apim().policyFragments.get(`client-cert-${PFX_CERT}`)?.properties.value).toContain(`<set-backend-service backend-id="${BACKEND}" />`);
    expect(vault().contacts).toEqual([expect.objectContaining({ email: 'orders@fabrikam.example', name: 'Orders platform' })]);
    const subscription = state.resource(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.EventGrid/systemTopics/evgt-${VAULT}/eventSubscriptions/certificate-expiry`);
    expect(subscription?.properties).toMatchObject({ destination: { endpointType: 'WebHook', properties: { endpointUrl: WEBHOOK } }, filter: { includedEventTypes: ['Microsoft.KeyVault.CertificateNearExpiry', 'Microsoft.KeyVault.CertificateExpired'] } });
    expect(state.roleAssignments).toContainEqual(expect.objectContaining({ principalId: DEPLOYER_OBJECT_ID, scope: VAULT_ID, roleDefinitionId: expect.stringMatching(/a4417e6f-fecd-4de8-b567-7b0420556985$/) }));
    // The sample API and products of a new instance were removed by azurerm, as it does after creating one.
    expect([...apim().apis.keys(), ...apim().products.keys()]).toEqual([]);
    // Nothing failed on the way, nothing went anywhere but the emulator, and no secret is in its record.
    expect(requests.filter((r) => r.status >= 500 || r.status === 502)).toEqual([]);
    const recorded = JSON.stringify(requests);
    for (const secret of [pfxV1.password, rehearsal.env.ARM_CLIENT_SECRET!]) expect(recorded).not.toContain(secret);
  });

  it('plans the unchanged stack again with no changes', async () => {
    const plan = await planJob();
    expect(plan.error).toBeUndefined();
    expect(logText(plan)).toContain(`plan of ${ENV} sealed into`);
    expect(logText(plan)).toContain(': 0 resource change(s)');
    const { plan: shown } = await sealedPlan(plan.planDir);
    expect(changed(shown)).toEqual([]);
  });

  it('rotates a new PFX in place as a new Key Vault version; the APIM refresh makes APIM serve it and points the backend at it', async () => {
    certificates = { ...certificates, TF_VAR_orders_partner_pfx_path: pfxV2.pfx, TF_VAR_orders_partner_pfx_password: pfxV2.password };
    const plan = await planJob();
    expect(plan.error).toBeUndefined();
    const { plan: shown } = await sealedPlan(plan.planDir);
    expect(changed(shown)).toEqual([`update azurerm_key_vault_certificate.Certificate-${PFX_CERT}_KeyVaultCertificate`]);
    const before = vault().certificates.get(PFX_CERT)!.versions.length;
    await applyJob(plan.planDir);
    expect(vault().certificates.get(PFX_CERT)!.versions).toHaveLength(before + 1);
    expect(keyVaultThumbprint(PFX_CERT)).toBe(pfxV2.thumbprint);
    // The refresh after the apply: APIM reads the vault again and the backend presents the new thumbprint.
    expect(apim().certificates.get(PFX_CERT)?.thumbprint).toBe(pfxV2.thumbprint);
    expect(backendThumbprints()).toEqual([pfxV2.thumbprint]);
    expect(emulator.requests).toContainEqual(expect.objectContaining({ method: 'POST', path: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${APIM}/certificates/${PFX_CERT}/refreshSecret`, status: 200 }));
  });

  it('converts a PEM source to the same PFX and password on every plan, so planning it twice proposes one identical change', async () => {
    certificates = { ...certificates, PEM_FILE_orders_pem: pemV2.pem };
    const first = await planJob();
    const second = await planJob();
    expect([first.error, second.error]).toEqual([undefined, undefined]);
    const [a, b] = [await sealedPlan(first.planDir), await sealedPlan(second.planDir)];
    const pem = `azurerm_key_vault_certificate.Certificate-${PEM_CERT}_KeyVaultCertificate`;
    expect(changed(a.plan)).toEqual([`update ${pem}`]);
    expect(changed(b.plan)).toEqual(changed(a.plan));
    expect(b.files.get('certificates/orders_pem.pfx')!.equals(a.files.get('certificates/orders_pem.pfx')!)).toBe(true);
    expect(b.plan.variables?.orders_pem_pfx_password?.value).toBe(a.plan.variables?.orders_pem_pfx_password?.value);
    const planned = (p: typeof a.plan) => p.resource_changes!.find((c) => c.address === pem)!.change.after!.certificate;
    expect(planned(b.plan)).toEqual(planned(a.plan));
    await applyJob(second.planDir);
    expect(keyVaultThumbprint(PEM_CERT)).toBe(pemV2.thumbprint);
    expect(apim().certificates.get(PEM_CERT)?.thumbprint).toBe(pemV2.thumbprint);
  });

  it('refuses a certificate whose key is not the declared one before Terraform plans anything', async () => {
    const rsa3072 = makeCertificate(path.join(work, 'certificates'), 'partner-rsa3072', { key: 'rsa:3072', days: 500 });
    const versions = vault().certificates.get(PFX_CERT)!.versions.length;
    const plan = await planJob({ TF_VAR_orders_partner_pfx_path: rsa3072.pfx, TF_VAR_orders_partner_pfx_password: rsa3072.password });
    expect(plan.error?.message).toMatch(/certificate change\(s\) refused/);
    expect(logText(plan)).toMatch(new RegExp(`${PFX_CERT}: .*RSA 3072`));
    expect(plan.terraform).not.toContain('plan');
    expect(fs.existsSync(path.join(plan.planDir, 'tfplan.enc'))).toBe(false);
    expect(plan.summary).toContain('Not planned: the certificate review refused these changes.');
    expect(vault().certificates.get(PFX_CERT)!.versions).toHaveLength(versions);
  });

  it('adds an IP rule added to the configuration to the vault in the approved apply, not in the plan', async () => {
    synth([FIRST_RULE, CONFIGURED_RULE]);
    expect(readStackManifest(stackDir).keyVault.ipRules).toEqual([FIRST_RULE, CONFIGURED_RULE]);
    const rules = () => vault().properties.networkAcls.ipRules.map((r) => r.value);
    const plan = await planJob();
    expect(plan.error).toBeUndefined();
    expect(plan.summary).toContain(`add \`${CONFIGURED_RULE}\``);
    expect(logText(plan)).toContain(`the apply adds the configured rule ${CONFIGURED_RULE} to vault ${VAULT}`);
    const { plan: shown } = await sealedPlan(plan.planDir);
    expect(changed(shown)).toEqual([]);
    expect(rules()).not.toContain(CONFIGURED_RULE);
    const apply = await applyJob(plan.planDir);
    expect(logText(apply)).toContain(`vault ${VAULT}: added the configured rule ${CONFIGURED_RULE}`);
    expect(rules()).toContain(CONFIGURED_RULE);
  });

  it('reports from the real `terraform show -json` of the state: each certificate\'s current version, its expiry, and that APIM serves it', async () => {
    const { tools } = rehearsal.job('expiry-report');
    let out = '';
    const code = await reportCertificates(tools, { manifest: readStackManifest(stackDir), source: { kind: 'state', stackDir }, json: true, write: (text) => (out += text) });
    const lines = JSON.parse(out) as { name: string; status: string; keyVaultThumbprint: string; apimThumbprint: string; expires: string }[];
    expect(code).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({ name: PFX_CERT, keyVaultThumbprint: pfxV2.thumbprint, apimThumbprint: pfxV2.thumbprint, expires: pfxV2.expires }),
      expect.objectContaining({ name: PEM_CERT, keyVaultThumbprint: pemV2.thumbprint, apimThumbprint: pemV2.thumbprint, expires: pemV2.expires }),
    ]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentManifest } from '../config/deployment-manifest';
import type { EnvironmentConfig } from '../config/environment-config';
import { resolveAzureContext } from '../operations/azure-context';
import { processRunner } from '../operations/command-runner';
import { requireReviewers } from '../operations/required-reviewers';
import { terraformLogin } from '../operations/step-tools';
import { FakeAzure } from './support/fake-azure';

// Who the steps act as, and in which subscription, before anything else runs.

const config: EnvironmentConfig = {
  name: 'payments-qa',
  location: 'northeurope',
  resourceGroup: { name: 'rg-payments-qa' },
  keyVault: { name: 'kv-payments-qa' },
  apiManagement: { name: 'apim-payments-qa', publisherName: 'Payments', publisherEmail: 'payments@fabrikam.example' },
  deployers: [],
  certificates: [{ name: 'mtls-backend' }],
};
const OTHER = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

describe('the Azure login and subscription', () => {
  it('stops with one line saying how to log in when az is not logged in and ARM_* holds no credential', async () => {
    const azure = new FakeAzure();
    azure.loggedIn = false;
    await expect(resolveAzureContext({ run: azure.run, env: {}, manifest: deploymentManifest(config), requireAz: false })).rejects.toThrow(
      'no usable Azure login: run `az login`, then `az account set -s <subscription>`; or set ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID',
    );
  });

  it('lets Terraform log in with ARM_* when az is not logged in, unless a step needs az', async () => {
    const azure = new FakeAzure();
    azure.loggedIn = false;
    const env = { ARM_CLIENT_ID: 'c', ARM_TENANT_ID: 't', ARM_CLIENT_SECRET: 's', ARM_SUBSCRIPTION_ID: OTHER };
    expect(await resolveAzureContext({ run: azure.run, env, manifest: deploymentManifest(config), requireAz: false })).toEqual({ subscription: OTHER });
    await expect(resolveAzureContext({ run: azure.run, env, manifest: deploymentManifest(config), requireAz: true })).rejects.toThrow('no usable Azure login');
  });

  it('stops with one line saying to install it when a step needs az and az is not installed, even with ARM_* credentials', async () => {
    // The real runner on a PATH without az: what a workstation or agent without the Azure CLI meets.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-az-'));
    try {
      const env = { PATH: empty, ARM_CLIENT_ID: 'c', ARM_TENANT_ID: 't', ARM_CLIENT_SECRET: 's', ARM_SUBSCRIPTION_ID: OTHER };
      let message = '';
      try {
        await resolveAzureContext({ run: processRunner('az'), env, manifest: deploymentManifest(config), requireAz: true });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe('the Azure CLI (az) is not installed, and this step needs it. Fix: install it (https://aka.ms/installazurecli), then `az login`');
      // Terraform alone can still log in with ARM_* when no step needs az.
      expect(await resolveAzureContext({ run: processRunner('az'), env, manifest: deploymentManifest(config), requireAz: false })).toEqual({ subscription: OTHER });
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("names the environment's subscription on every call, and stops when the login cannot see it", async () => {
    const azure = new FakeAzure();
    const manifest = deploymentManifest({ ...config, subscriptionId: OTHER });
    await expect(resolveAzureContext({ run: azure.run, env: {}, manifest, requireAz: true })).rejects.toThrow(`cannot see subscription ${OTHER} (subscriptionId of environment payments-qa). Fix: \`az login\` to its tenant, then \`az account set -s ${OTHER}\``);
    azure.subscriptions.add(OTHER);
    const context = await resolveAzureContext({ run: azure.run, env: {}, manifest, requireAz: true });
    expect(context.subscription).toBe(OTHER);
    await context.az!.json(['provider', 'show', '--namespace', 'Microsoft.KeyVault'], 'reading');
    expect(azure.commands().at(-1)).toEqual(['provider', 'show', '--namespace', 'Microsoft.KeyVault', '--subscription', OTHER, '--only-show-errors', '-o', 'json']);
  });

  it("gives Terraform Azure DevOps' workload-identity login from what AzureCLI@2 exports: no SERVICE_CONNECTION_ID variable to set by hand", () => {
    const env = { TF_BUILD: 'True', AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: 'sc-id', AZURESUBSCRIPTION_CLIENT_ID: 'client', AZURESUBSCRIPTION_TENANT_ID: 'tenant', SYSTEM_OIDCREQUESTURI: 'https://dev.azure.com/oidc', SYSTEM_ACCESSTOKEN: 'token' };
    expect(terraformLogin(env, OTHER)).toEqual({
      ARM_SUBSCRIPTION_ID: OTHER,
      ARM_USE_OIDC: 'true',
      ARM_CLIENT_ID: 'client',
      ARM_TENANT_ID: 'tenant',
      ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: 'sc-id',
      ARM_OIDC_REQUEST_URL: 'https://dev.azure.com/oidc',
      ARM_OIDC_REQUEST_TOKEN: 'token',
    });
    expect(terraformLogin({ GITHUB_ACTIONS: 'true' }, OTHER)).toEqual({ ARM_SUBSCRIPTION_ID: OTHER });
  });
});

describe("the GitHub apply job's reviewers check", () => {
  const env = { APPLY_ENVIRONMENT: 'prod', GITHUB_REPOSITORY: 'contoso/apimcert', GITHUB_TOKEN: 'ghs_x' };
  const answer = (status: number, body: unknown) => async () => ({ status, body });
  const quiet = () => undefined;

  it('passes an environment with a required reviewer, read with the job\'s own token', async () => {
    let asked = '';
    await requireReviewers(env, async (url, token) => ((asked = `${url} ${token}`), { status: 200, body: { protection_rules: [{ type: 'required_reviewers', reviewers: [{ type: 'Team', reviewer: { slug: 'platform' } }] }] } }), quiet);
    expect(asked).toBe('https://api.github.com/repos/contoso/apimcert/environments/prod ghs_x');
  });

  it.each([
    ['no protection rules', answer(200, { protection_rules: [] })],
    ['a wait timer only', answer(200, { protection_rules: [{ type: 'wait_timer', wait_timer: 5 }] })],
    ['a reviewers rule without reviewers', answer(200, { protection_rules: [{ type: 'required_reviewers', reviewers: [] }] })],
    ['an answer of the wrong shape', answer(200, '<html>')],
    ['a refusal (no actions: read)', answer(403, { message: 'Resource not accessible by integration' })],
  ])('fails closed, naming the setting, on %s', async (_, get) => {
    await expect(requireReviewers(env, get, quiet)).rejects.toThrow(/required reviewer|cannot be checked/);
    await expect(requireReviewers(env, get, quiet)).rejects.toThrow(/pipeline\.github\.allowUnreviewedApply/);
  });

  it('lets an environment that accepts unreviewed applies in writing go on, without asking GitHub', async () => {
    await requireReviewers({ ...env, ALLOW_UNREVIEWED_APPLY: 'personal sandbox, nothing shared' }, async () => Promise.reject(new Error('not asked')), quiet);
  });
});

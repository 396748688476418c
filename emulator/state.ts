import crypto from 'node:crypto';
import type { RecordedRequest } from './http-exchange';
import type { AsyncOperation } from './long-running-operations';
import { BUILT_IN_ROLES, type RoleName } from './rbac';

/**
 * The emulated Azure: plain data that the services read and change, and that tests seed and inspect.
 * Names are compared case-insensitively where Azure does (resource groups, vaults, certificates).
 */

export interface Principal {
  readonly objectId: string;
  /** Application (client) id; absent for a managed identity that is only ever used by a service. */
  readonly appId?: string;
  readonly displayName: string;
  readonly type: 'ServicePrincipal' | 'ManagedIdentity' | 'User';
  readonly clientSecret?: string;
  /** Certificate credentials: the PEM certificates whose keys may sign its client assertions. */
  readonly certificates?: readonly string[];
  /** Federated identity credentials: a client_assertion must carry one of these issuer/subject pairs. */
  readonly federatedCredentials?: readonly { issuer: string; subject: string; audiences?: readonly string[] }[];
}

export interface Subscription {
  readonly subscriptionId: string;
  displayName: string;
  state: 'Enabled' | 'Disabled' | 'Warned' | 'PastDue' | 'Deleted';
  /** Resource provider namespace → registrationState (`Registered`, `NotRegistered`, `Registering`). */
  readonly providers: Record<string, string>;
}

export interface ResourceGroup {
  readonly subscriptionId: string;
  readonly name: string;
  location: string;
  tags: Record<string, string>;
}

export interface IpRule {
  value: string;
}

export interface NetworkAcls {
  bypass: 'AzureServices' | 'None';
  defaultAction: 'Allow' | 'Deny';
  ipRules: IpRule[];
  virtualNetworkRules: { id: string; ignoreMissingVnetServiceEndpoint?: boolean }[];
}

/** `VaultProperties` as ARM stores and returns them; the emulator keeps unknown members a PUT sends. */
export interface VaultProperties {
  tenantId: string;
  sku: { family: 'A'; name: 'standard' | 'premium' };
  accessPolicies: unknown[];
  enabledForDeployment: boolean;
  enabledForDiskEncryption: boolean;
  enabledForTemplateDeployment: boolean;
  enableSoftDelete: boolean;
  softDeleteRetentionInDays: number;
  enableRbacAuthorization: boolean;
  enablePurgeProtection?: boolean;
  vaultUri: string;
  provisioningState: string;
  publicNetworkAccess: 'Enabled' | 'Disabled';
  networkAcls: NetworkAcls;
  [other: string]: unknown;
}

export interface CertificateVersion {
  readonly version: string;
  /** `completed` once it has a certificate; `inProgress` for a pending CreateCertificate (issuer Unknown). */
  status: 'completed' | 'inProgress';
  readonly der?: Buffer;
  /** SHA-1 of the DER, base64url: the `x5t` Key Vault returns. */
  readonly x5t?: string;
  readonly subject?: string;
  readonly nbf?: number;
  readonly exp?: number;
  readonly created: number;
  updated: number;
  enabled: boolean;
  /** The backing secret: base64 PFX as imported (Key Vault re-packages it; the emulator keeps the bytes). */
  readonly secretValue?: string;
  readonly contentType: string;
  tags?: Record<string, string>;
}

export interface StoredCertificate {
  readonly name: string;
  readonly versions: CertificateVersion[];
  policy: Record<string, unknown>;
  policyCreated: number;
  policyUpdated: number;
  tags?: Record<string, string>;
  /** The CertificateOperation of a pending create, as GET .../pending returns it. */
  pending?: Record<string, unknown>;
}

export interface DeletedCertificate {
  readonly certificate: StoredCertificate;
  readonly deletedDate: number;
  readonly scheduledPurgeDate: number;
}

export interface Vault {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  tags: Record<string, string>;
  properties: VaultProperties;
  readonly certificates: Map<string, StoredCertificate>;
  readonly deletedCertificates: Map<string, DeletedCertificate>;
  contacts?: { email?: string; name?: string; phone?: string }[];
}

export interface RoleAssignment {
  readonly name: string;
  readonly principalId: string;
  readonly principalType: string;
  /** Full id: /subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}. */
  readonly roleDefinitionId: string;
  readonly scope: string;
  readonly createdAtMs: number;
  /** RBAC changes reach Key Vault and ARM only after propagation: `createdAtMs + rbacDelayMs`. */
  readonly effectiveAtMs: number;
  /** Free text the creator gave (RoleAssignmentProperties.description). */
  readonly description?: string;
}

export interface ApimCertificate {
  readonly name: string;
  subject?: string;
  thumbprint?: string;
  expirationDate?: string;
  keyVault?: {
    secretIdentifier: string;
    identityClientId: string | null;
    lastStatus?: { code: string; message: string; timeStampUtc: string };
  };
  etag: string;
}

export interface ApimService {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  /** The system-assigned identity APIM reads Key Vault with. */
  readonly principalId: string;
  /** Public addresses Key Vault sees APIM at (its firewall is checked against these). */
  readonly outboundIps: readonly string[];
  /**
   * Whether Key Vault treats APIM as a trusted service when networkAcls.bypass is AzureServices. APIM is on
   * Key Vault's trusted-services list for certificates it reads with its managed identity.
   */
  readonly trustedService: boolean;
  readonly certificates: Map<string, ApimCertificate>;
  readonly backends: Map<string, { properties: Record<string, unknown>; etag: string }>;
  readonly policyFragments: Map<string, { properties: Record<string, unknown>; etag: string }>;
  /** `<tier>` and capacity, as ApiManagementService_CreateOrUpdate sent them (seeded services: Developer 1). */
  sku: { name: string; capacity: number };
  tags: Record<string, string>;
  /** The writable properties the last PUT sent (publisherName, customProperties...), echoed by GET. */
  definition: Record<string, unknown>;
  /** Portal settings (signin, signup, delegation) and the tenant access settings, by name. */
  readonly settings: Map<string, Record<string, unknown>>;
  /** APIs and products, by id (a new Developer-tier service has the sample Echo API and two products). */
  readonly apis: Map<string, Record<string, unknown>>;
  readonly products: Map<string, Record<string, unknown>>;
  createdAtUtc?: string;
}

/**
 * An ARM resource the emulator only stores and returns (private endpoints, DNS zone groups, network
 * interfaces, virtual networks, Event Grid topics...): the PUT body as sent, with the read-only members the
 * service adds. Keyed by its id, case-insensitively.
 */
export interface ArmResource {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  location?: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  [other: string]: unknown;
}

export interface AzureStateOptions {
  readonly tenantId: string;
  /** Where the emulated Azure sees the caller (az) coming from: what the Key Vault firewall checks. */
  clientAddress: string;
  rbacDelayMs: number;
  readonly now: () => number;
}

const key = (...parts: string[]) => parts.map((p) => p.toLowerCase()).join('/');

export const newEtag = (): string => `"${crypto.randomBytes(8).toString('hex')}"`;

export class AzureState {
  readonly tenantId: string;
  clientAddress: string;
  rbacDelayMs: number;
  readonly now: () => number;
  readonly principals = new Map<string, Principal>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly resourceGroups = new Map<string, ResourceGroup>();
  readonly vaults = new Map<string, Vault>();
  readonly roleAssignments: RoleAssignment[] = [];
  readonly apimServices = new Map<string, ApimService>();
  /** Resources without behaviour of their own (see ArmResource), by lower-case id. */
  readonly resources = new Map<string, ArmResource>();
  /** ARM asynchronous operations by id (long-running-operations.ts). */
  readonly asyncOperations = new Map<string, AsyncOperation>();
  /** How many polls an asynchronous operation reports InProgress before it is done. */
  asyncOperationPolls = 1;
  /**
   * The virtual network the caller (az, Terraform) runs in, if any: a vault with an approved private
   * endpoint in a subnet of it, whose name the privatelink.vaultcore.azure.net zone resolves (a DNS zone
   * group), is reached privately, where the public firewall and publicNetworkAccess do not apply.
   */
  clientVirtualNetworkId?: string;
  /** Where service-to-service calls inside the emulated Azure are recorded (set by startAzureEmulator). */
  recordInternal: (entry: RecordedRequest) => void = () => undefined;

  constructor(options: AzureStateOptions) {
    this.tenantId = options.tenantId;
    this.clientAddress = options.clientAddress;
    this.rbacDelayMs = options.rbacDelayMs;
    this.now = options.now;
  }

  addPrincipal(principal: Omit<Principal, 'objectId'> & { objectId?: string }): Principal {
    const added = { ...principal, objectId: principal.objectId ?? crypto.randomUUID() };
    this.principals.set(added.objectId, added);
    return added;
  }

  principalByAppId(appId: string): Principal | undefined {
    return [...this.principals.values()].find((p) => p.appId?.toLowerCase() === appId.toLowerCase());
  }

  addSubscription(subscriptionId: string, displayName: string, providers: Record<string, string> = {}): Subscription {
    const subscription: Subscription = { subscriptionId, displayName, state: 'Enabled', providers: { 'Microsoft.Resources': 'Registered', ...providers } };
    this.subscriptions.set(subscriptionId.toLowerCase(), subscription);
    return subscription;
  }

  subscription(subscriptionId: string): Subscription | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  addResourceGroup(subscriptionId: string, name: string, location: string): ResourceGroup {
    const group: ResourceGroup = { subscriptionId, name, location, tags: {} };
    this.resourceGroups.set(key(subscriptionId, name), group);
    return group;
  }

  resourceGroup(subscriptionId: string, name: string): ResourceGroup | undefined {
    return this.resourceGroups.get(key(subscriptionId, name));
  }

  addVault(vault: {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    location: string;
    networkAcls?: Partial<NetworkAcls>;
    publicNetworkAccess?: 'Enabled' | 'Disabled';
    enableRbacAuthorization?: boolean;
  }): Vault {
    const added: Vault = {
      subscriptionId: vault.subscriptionId,
      resourceGroup: vault.resourceGroup,
      name: vault.name,
      location: vault.location,
      tags: {},
      properties: {
        tenantId: this.tenantId,
        sku: { family: 'A', name: 'standard' },
        accessPolicies: [],
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enableRbacAuthorization: vault.enableRbacAuthorization ?? true,
        enablePurgeProtection: true,
        vaultUri: `https://${vault.name.toLowerCase()}.vault.azure.net/`,
        provisioningState: 'Succeeded',
        publicNetworkAccess: vault.publicNetworkAccess ?? 'Enabled',
        networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow', ipRules: [], virtualNetworkRules: [], ...vault.networkAcls },
      },
      certificates: new Map(),
      deletedCertificates: new Map(),
    };
    this.vaults.set(key(vault.subscriptionId, vault.resourceGroup, vault.name), added);
    return added;
  }

  vault(subscriptionId: string, resourceGroup: string, name: string): Vault | undefined {
    return this.vaults.get(key(subscriptionId, resourceGroup, name));
  }

  /** Vault names are global: the data plane finds a vault by its host name alone. */
  vaultByName(name: string): Vault | undefined {
    return [...this.vaults.values()].find((v) => v.name.toLowerCase() === name.toLowerCase());
  }

  /**
   * Assigns a built-in role. Like Azure, the assignment exists at once (ARM lists it) but is enforced only
   * after `rbacDelayMs` (pass `effectiveImmediately` for seeding the world before the test starts).
   */
  assignRole(principalId: string, role: RoleName, scope: string, options: { effectiveImmediately?: boolean; principalType?: string } = {}): RoleAssignment {
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? '';
    const created = this.now();
    const assignment: RoleAssignment = {
      name: crypto.randomUUID(),
      principalId,
      principalType: options.principalType ?? this.principals.get(principalId)?.type ?? 'ServicePrincipal',
      roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES[role].id}`,
      scope,
      createdAtMs: created,
      effectiveAtMs: options.effectiveImmediately ? created : created + this.rbacDelayMs,
    };
    this.roleAssignments.push(assignment);
    return assignment;
  }

  addApimService(service: { subscriptionId: string; resourceGroup: string; name: string; location: string; outboundIps?: string[]; trustedService?: boolean }): ApimService {
    const principal = this.addPrincipal({ displayName: service.name, type: 'ManagedIdentity' });
    const added: ApimService = {
      ...service,
      principalId: principal.objectId,
      outboundIps: service.outboundIps ?? ['51.105.1.2'],
      trustedService: service.trustedService ?? true,
      certificates: new Map(),
      backends: new Map(),
      policyFragments: new Map(),
      sku: { name: 'Developer', capacity: 1 },
      tags: {},
      definition: { publisherName: service.name, publisherEmail: 'apim@example.com' },
      settings: new Map(),
      apis: new Map(),
      products: new Map(),
    };
    this.apimServices.set(key(service.subscriptionId, service.resourceGroup, service.name), added);
    return added;
  }

  apimService(subscriptionId: string, resourceGroup: string, name: string): ApimService | undefined {
    return this.apimServices.get(key(subscriptionId, resourceGroup, name));
  }

  /** Stores (or replaces) a resource without behaviour; tests seed virtual networks and DNS zones this way. */
  putResource(resource: ArmResource): ArmResource {
    this.resources.set(resource.id.toLowerCase(), resource);
    return resource;
  }

  resource(id: string): ArmResource | undefined {
    return this.resources.get(id.replace(/\/+$/, '').toLowerCase());
  }

  /** The resources whose id starts with `parentId/` and whose type is `type` (a child collection). */
  childResources(parentId: string, type: string): ArmResource[] {
    const prefix = `${parentId.toLowerCase()}/`;
    return [...this.resources.values()].filter((r) => r.id.toLowerCase().startsWith(prefix) && r.type.toLowerCase() === type.toLowerCase());
  }
}

export const vaultResourceId = (vault: Vault): string =>
  `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault.name}`;

export const apimResourceId = (service: ApimService): string =>
  `/subscriptions/${service.subscriptionId}/resourceGroups/${service.resourceGroup}/providers/Microsoft.ApiManagement/service/${service.name}`;

/** The version Key Vault serves for a versionless id: the newest completed, enabled one. */
export function currentVersion(certificate: StoredCertificate): CertificateVersion | undefined {
  return [...certificate.versions].reverse().find((v) => v.status === 'completed' && v.enabled);
}

import crypto from 'node:crypto';
import { armError } from './arm-errors';
import { json } from './http-exchange';
import { accepted } from './long-running-operations';
import { resourceGroupScope, type ArmContext, type ArmRoute } from './resource-manager';
import { vaultResourceId, type ArmResource } from './state';

/**
 * Microsoft.EventGrid system topics on a Key Vault and their event subscriptions (what
 * azurerm_eventgrid_system_topic and azurerm_eventgrid_system_topic_event_subscription call). Spec:
 * specification/eventgrid/resource-manager/Microsoft.EventGrid/EventGrid/stable/2025-02-15/EventGrid.json, the
 * api-version azurerm 4.55.0 sends. Both PUTs are long-running (Azure-AsyncOperation).
 *
 * A webhook subscription's GET carries `endpointBaseUrl` only; the full URL (which may hold a key) comes
 * from SystemTopicEventSubscriptions_GetFullUrl, as the service does. NOT emulated: the subscription
 * validation handshake Event Grid makes with a webhook before the subscription is created, and delivery.
 */
const SPEC = 'specification/eventgrid/resource-manager/Microsoft.EventGrid/EventGrid/stable/2025-02-15/EventGrid.json';
const NS = 'Microsoft.EventGrid';
const TOPIC = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.EventGrid/systemTopics/{topicName}';
const topicId = (p: Record<string, string>) => `${resourceGroupScope(p)}/providers/Microsoft.EventGrid/systemTopics/${p.topicName}`;
const subscriptionId = (p: Record<string, string>) => `${topicId(p)}/eventSubscriptions/${p.eventSubscriptionName}`;
const permission = (verb: string, scope: (p: Record<string, string>) => string) => (p: Record<string, string>) => ({ action: `Microsoft.EventGrid/systemTopics/${verb}`, scope: scope(p) });

/** The topic types a Key Vault source may have (the emulator knows no other source). */
const TOPIC_TYPES = ['microsoft.keyvault.vaults'];

const notFound = (type: string, name: string, group: string) =>
  armError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);

const body = (r: ArmResource) => ({
  id: r.id,
  name: r.name,
  type: r.type,
  ...(r.location ? { location: r.location } : {}),
  ...(r.tags ? { tags: r.tags } : {}),
  ...(r.identity ? { identity: r.identity } : {}),
  properties: r.properties,
  systemData: r.systemData,
});

/** What GET returns of a subscription: a webhook's URL reduced to its base (no query, which may hold a key). */
function subscriptionBody(r: ArmResource) {
  const properties = structuredClone(r.properties) as Record<string, any>;
  const webhook = properties.destination?.endpointType === 'WebHook' ? properties.destination.properties : undefined;
  if (webhook?.endpointUrl) {
    webhook.endpointBaseUrl = String(webhook.endpointUrl).split('?')[0];
    delete webhook.endpointUrl;
  }
  return { ...body(r), properties };
}

function putTopic(context: ArmContext) {
  const { state, params } = context;
  const input = context.body<{ location?: string; tags?: Record<string, string>; identity?: unknown; properties?: { source?: string; topicType?: string } }>() ?? {};
  const id = topicId(params);
  const existing = state.resource(id);
  const source = String(input.properties?.source ?? '');
  const topicType = String(input.properties?.topicType ?? '');
  if (!TOPIC_TYPES.includes(topicType.toLowerCase())) return armError(400, 'InvalidRequest', `Invalid topic type ${topicType}. The emulator knows Microsoft.KeyVault.vaults only.`);
  const vault = [...state.vaults.values()].find((v) => vaultResourceId(v).toLowerCase() === source.toLowerCase());
  if (!vault) return armError(400, 'InvalidRequest', `The source resource ${source} was not found.`);
  if (existing && String(existing.properties.source).toLowerCase() !== source.toLowerCase()) return armError(400, 'InvalidRequest', 'Changing the source of a system topic is not allowed.');
  if (!input.location || input.location.toLowerCase().replace(/\s/g, '') !== vault.location.toLowerCase().replace(/\s/g, '')) {
    return armError(400, 'InvalidRequest', `The location of a system topic must be the location of its source (${vault.location}).`);
  }
  const now = new Date(state.now()).toISOString();
  const stored = state.putResource({
    id,
    name: params.topicName,
    type: 'Microsoft.EventGrid/systemTopics',
    location: input.location,
    ...(input.tags ? { tags: input.tags } : {}),
    ...(input.identity ? { identity: input.identity } : {}),
    properties: { source, topicType, metricResourceId: (existing?.properties.metricResourceId as string | undefined) ?? crypto.randomUUID(), provisioningState: 'Succeeded' },
    systemData: { createdAt: (existing?.systemData as { createdAt?: string } | undefined)?.createdAt ?? now, lastModifiedAt: now },
  });
  return accepted(state, existing ? 200 : 201, body(stored), params.subscriptionId, NS, input.location);
}

function putSubscription(context: ArmContext) {
  const { state, params } = context;
  const topic = state.resource(topicId(params));
  if (!topic) return notFound('Microsoft.EventGrid/systemTopics', params.topicName, params.resourceGroupName);
  const input = context.body<{ properties?: Record<string, any> }>() ?? {};
  const properties = input.properties ?? {};
  const destination = properties.destination ?? properties.deliveryWithResourceIdentity?.destination;
  if (!destination?.endpointType) return armError(400, 'InvalidRequest', 'A destination is required.');
  if (destination.endpointType === 'WebHook' && !/^https:\/\//i.test(String(destination.properties?.endpointUrl ?? ''))) {
    return armError(400, 'InvalidRequest', 'The attempt to validate the provided endpoint failed: a webhook endpoint must be an https URL.');
  }
  const id = subscriptionId(params);
  const existing = state.resource(id);
  const now = new Date(state.now()).toISOString();
  // What the service fills in when the request leaves it out (the defaults EventGrid.json documents for
  // EventSubscriptionFilter, RetryPolicy and eventDeliverySchema): a GET returns them.
  const filter = { subjectBeginsWith: '', subjectEndsWith: '', isSubjectCaseSensitive: false, enableAdvancedFilteringOnArrays: false, ...(properties.filter ?? {}) };
  const stored = state.putResource({
    id,
    name: params.eventSubscriptionName,
    type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    properties: {
      eventDeliverySchema: 'EventGridSchema',
      retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
      labels: [],
      ...properties,
      filter,
      topic: topic.properties.source,
      provisioningState: 'Succeeded',
    },
    systemData: { createdAt: (existing?.systemData as { createdAt?: string } | undefined)?.createdAt ?? now, lastModifiedAt: now },
  });
  return accepted(state, existing ? 200 : 201, subscriptionBody(stored), params.subscriptionId, NS, topic.location ?? 'westeurope');
}

export const EVENT_GRID_ROUTES: readonly ArmRoute[] = [
  {
    method: 'GET',
    path: TOPIC,
    operation: `${SPEC}#SystemTopics_Get`,
    namespace: NS,
    permission: permission('read', topicId),
    handle: ({ state, params }) => {
      const topic = state.resource(topicId(params));
      return topic ? json(200, body(topic)) : notFound('Microsoft.EventGrid/systemTopics', params.topicName, params.resourceGroupName);
    },
  },
  {
    method: 'PUT',
    path: TOPIC,
    operation: `${SPEC}#SystemTopics_CreateOrUpdate`,
    namespace: NS,
    permission: permission('write', topicId),
    handle: putTopic,
  },
  {
    method: 'DELETE',
    path: TOPIC,
    operation: `${SPEC}#SystemTopics_Delete`,
    namespace: NS,
    permission: permission('delete', topicId),
    handle: ({ state, params }) => {
      const id = topicId(params);
      if (!state.resource(id)) return { status: 204 };
      for (const child of state.childResources(id, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')) state.resources.delete(child.id.toLowerCase());
      state.resources.delete(id.toLowerCase());
      return accepted(state, 202, undefined, params.subscriptionId, NS, 'westeurope');
    },
  },
  {
    method: 'GET',
    path: `${TOPIC}/eventSubscriptions/{eventSubscriptionName}`,
    operation: `${SPEC}#SystemTopicEventSubscriptions_Get`,
    namespace: NS,
    permission: permission('eventSubscriptions/read', topicId),
    handle: ({ state, params }) => {
      const found = state.resource(subscriptionId(params));
      return found ? json(200, subscriptionBody(found)) : notFound('Microsoft.EventGrid/systemTopics/eventSubscriptions', params.eventSubscriptionName, params.resourceGroupName);
    },
  },
  {
    method: 'PUT',
    path: `${TOPIC}/eventSubscriptions/{eventSubscriptionName}`,
    operation: `${SPEC}#SystemTopicEventSubscriptions_CreateOrUpdate`,
    namespace: NS,
    permission: permission('eventSubscriptions/write', topicId),
    handle: putSubscription,
  },
  {
    method: 'DELETE',
    path: `${TOPIC}/eventSubscriptions/{eventSubscriptionName}`,
    operation: `${SPEC}#SystemTopicEventSubscriptions_Delete`,
    namespace: NS,
    permission: permission('eventSubscriptions/delete', topicId),
    handle: ({ state, params }) => {
      const id = subscriptionId(params);
      if (!state.resource(id)) return { status: 204 };
      state.resources.delete(id.toLowerCase());
      return accepted(state, 202, undefined, params.subscriptionId, NS, 'westeurope');
    },
  },
  {
    method: 'POST',
    path: `${TOPIC}/eventSubscriptions/{eventSubscriptionName}/getFullUrl`,
    operation: `${SPEC}#SystemTopicEventSubscriptions_GetFullUrl`,
    namespace: NS,
    permission: permission('eventSubscriptions/getFullUrl/action', topicId),
    handle: ({ state, params }) => {
      const found = state.resource(subscriptionId(params));
      if (!found) return notFound('Microsoft.EventGrid/systemTopics/eventSubscriptions', params.eventSubscriptionName, params.resourceGroupName);
      const destination = (found.properties.destination ?? (found.properties.deliveryWithResourceIdentity as { destination?: unknown } | undefined)?.destination) as { endpointType?: string; properties?: { endpointUrl?: string } } | undefined;
      if (destination?.endpointType !== 'WebHook') {
        return armError(400, 'InvalidRequest', `Destination type of the event subscription ${params.eventSubscriptionName} is ${destination?.endpointType} which doesn't support full URL. Only webhook destination type supports full URL.`);
      }
      return json(200, { endpointUrl: destination.properties?.endpointUrl });
    },
  },
];

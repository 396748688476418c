import { json, type EmulatorResponse } from './http-exchange';

/**
 * Azure Resource Manager's error envelope (`ErrorResponse` in
 * specification/common-types/resource-management/v5/types.json): `{ error: { code, message } }`.
 * Messages are the service's wording as seen in real responses.
 */
export const armError = (status: number, code: string, message: string, headers: Record<string, string> = {}): EmulatorResponse =>
  json(status, { error: { code, message } }, headers);

export const subscriptionNotFound = (subscriptionId: string) => armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);

export const resourceGroupNotFound = (name: string) => armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);

export const resourceNotFound = (type: string, name: string, resourceGroup: string) =>
  armError(404, 'ResourceNotFound', `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);

export const missingRegistration = (namespace: string) =>
  armError(409, 'MissingSubscriptionRegistration', `The subscription is not registered to use namespace '${namespace}'. See https://aka.ms/rps-not-found for how to register subscriptions.`);

export const authorizationFailed = (appId: string | undefined, objectId: string, action: string, scope: string) =>
  armError(
    403,
    'AuthorizationFailed',
    `The client '${appId ?? objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );

import crypto from 'node:crypto';
import { json, type EmulatorResponse } from './http-exchange';
import type { ArmRoute } from './resource-manager';
import type { AzureState } from './state';

/**
 * ARM's asynchronous operations, as "Azure Resource Manager asynchronous operations" (ARM RPC,
 * specification/common-types/resource-management and the ARM RPC guide "Asynchronous operations")
 * documents them: a PUT/PATCH/DELETE that the spec marks `x-ms-long-running-operation` answers 201/200/202
 * with an `Azure-AsyncOperation` header naming an operation-status resource, which the client GETs until
 * its `status` is terminal (Succeeded, Failed, Canceled); `Retry-After` says how long to wait between polls.
 *
 * The emulator changes its state at once (the resource is there for the caller's final GET) but reports
 * the operation `InProgress` for the first `state.asyncOperationPolls` polls, so a client that never polls, or
 * stops at the first answer, is caught. `Retry-After: 0` is the emulator's choice (real services say 10-60
 * seconds), so that the real provider's poller does not wait. NOT CONFIRMED: the exact path shape of each
 * service's operation-status URL; every service here uses
 * /subscriptions/{s}/providers/{namespace}/locations/{location}/operationStatuses/{id}.
 */
export interface AsyncOperation {
  readonly id: string;
  readonly namespace: string;
  readonly location: string;
  readonly startTime: string;
  pollsLeft: number;
  polls: number;
  /** The error the operation ends with (status Failed), if any. */
  readonly error?: { code: string; message: string };
}

export const ASYNC_OPERATION_SPEC = 'specification/common-types/resource-management/v5/types.json#ErrorResponse (ARM RPC "Asynchronous operations": Azure-AsyncOperation)';

/** Starts an operation and returns the headers that announce it. */
export function startAsyncOperation(state: AzureState, subscriptionId: string, namespace: string, location: string, options: { error?: { code: string; message: string } } = {}): Record<string, string> {
  const id = crypto.randomUUID();
  const operation: AsyncOperation = {
    id,
    namespace,
    location: location.replace(/\s+/g, '').toLowerCase() || 'westeurope',
    startTime: new Date(state.now()).toISOString(),
    pollsLeft: state.asyncOperationPolls,
    polls: 0,
    ...(options.error ? { error: options.error } : {}),
  };
  state.asyncOperations.set(id, operation);
  const url = `https://management.azure.com/subscriptions/${subscriptionId}/providers/${namespace}/locations/${operation.location}/operationStatuses/${id}?api-version=2024-05-01`;
  return { 'azure-asyncoperation': url, 'retry-after': '0' };
}

/** A response that starts an operation: the resource as it will be, plus the operation headers. */
export function accepted(state: AzureState, status: 200 | 201 | 202, body: unknown, subscriptionId: string, namespace: string, location: string): EmulatorResponse {
  const headers = startAsyncOperation(state, subscriptionId, namespace, location);
  return body === undefined ? { status, headers } : json(status, body, headers);
}

export const ASYNC_OPERATION_ROUTES: readonly ArmRoute[] = [
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/providers/{namespace}/locations/{location}/operationStatuses/{operationId}',
    operation: ASYNC_OPERATION_SPEC,
    handle: ({ state, params }) => {
      const operation = state.asyncOperations.get(params.operationId);
      if (!operation) return json(404, { error: { code: 'NotFound', message: `Operation ${params.operationId} not found.` } });
      operation.polls++;
      const done = operation.pollsLeft <= 0;
      if (!done) operation.pollsLeft--;
      const status = !done ? 'InProgress' : operation.error ? 'Failed' : 'Succeeded';
      return json(
        200,
        {
          id: `/subscriptions/${params.subscriptionId}/providers/${operation.namespace}/locations/${operation.location}/operationStatuses/${operation.id}`,
          name: operation.id,
          status,
          startTime: operation.startTime,
          ...(done ? { endTime: new Date(state.now()).toISOString() } : {}),
          ...(done && operation.error ? { error: operation.error } : {}),
        },
        { 'retry-after': '0' },
      );
    },
  },
];

import type { AzCliVersions } from './az-config';
import type { EmulatorRequest, EmulatorResponse } from './http-exchange';

/**
 * azcliprod.blob.core.windows.net, where az (azure/cli/core/util.py, `_update_latest_from_ame_storage`)
 * looks for the latest release: `HEAD /cli` as a connectivity check, then `GET /cli/<package>/setup.py`,
 * reading its `VERSION = "x.y.z"` line. With a seeded config dir az never asks; if it does, it is told it is
 * up to date, and the request is recorded.
 */
export function createCliVersionCheck(versions: AzCliVersions) {
  return (request: EmulatorRequest): EmulatorResponse => {
    if (request.method === 'HEAD' && /^\/cli\/?$/.test(request.path)) return { status: 200 };
    const match = /^\/cli\/(azure-cli|azure-cli-core|azure-cli-telemetry)\/setup\.py$/.exec(request.path);
    if (request.method === 'GET' && match) {
      const version = match[1] === 'azure-cli-telemetry' ? versions.telemetry : match[1] === 'azure-cli-core' ? versions.core : versions.cli;
      return { status: 200, headers: { 'content-type': 'text/x-python' }, body: `VERSION = "${version}"\n` };
    }
    return { status: 404, headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.</Message></Error>' };
  };
}

import fs from 'node:fs';
import path from 'node:path';

export interface AzCliVersions {
  readonly cli: string;
  readonly core: string;
  readonly telemetry: string;
}

/** az 2.91.0 as installed by the project's tooling (azure-cli-telemetry 1.1.0 ships with it). */
export const DEFAULT_AZ_VERSIONS: AzCliVersions = { cli: '2.91.0', core: '2.91.0', telemetry: '1.1.0' };

/** Python's `str(datetime.datetime.now())`: local time, `YYYY-MM-DD HH:MM:SS.ffffff`. */
function pythonNow(date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds() * 1000, 6)}`;
}

/**
 * A private AZURE_CONFIG_DIR that makes az quiet on the network:
 * - versionCheck.json already holds this version's `versions`, so `handle_version_update()` (run by every
 *   az start, azure/cli/core/util.py) does not HEAD/GET azcliprod.blob.core.windows.net (research notes §7);
 * - `config` turns telemetry (a detached uploader to dc.services.visualstudio.com) and the survey text off,
 *   as do the AZURE_CORE_* variables in the returned environment (knack reads `AZURE_{SECTION}_{OPTION}`).
 */
export function seedAzConfigDir(dir: string, versions: AzCliVersions = DEFAULT_AZ_VERSIONS): void {
  fs.mkdirSync(path.join(dir, 'cliextensions'), { recursive: true });
  const versionCheck = {
    versions: {
      'azure-cli': { local: versions.cli, pypi: versions.cli },
      core: { local: versions.core, pypi: versions.core },
      telemetry: { local: versions.telemetry, pypi: versions.telemetry },
    },
    update_time: pythonNow(),
  };
  fs.writeFileSync(path.join(dir, 'versionCheck.json'), JSON.stringify(versionCheck));
  fs.writeFileSync(path.join(dir, 'config'), ['[cloud]', 'name = AzureCloud', '', '[core]', 'collect_telemetry = no', 'survey_message = no', 'first_run = no', '', '[auto-upgrade]', 'enable = no', ''].join('\n'));
}

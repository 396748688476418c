import fs from 'node:fs';
import { day, shortThumbprint } from '../rotation/deployed-certificates';
import { allowedBy, type RotationLine, type RotationOverrides } from '../rotation/rotation-plan';
import { printable } from '../text/printable';
import { pipelineHost, type StepLog } from './step-log';

/**
 * The Markdown a run puts on its summary page, where the approver reads it before approving. Whatever comes
 * from outside (a state's values, resource addresses with for_each keys, names) is escaped for Markdown
 * and HTML before it is written: a value cannot open an HTML comment that hides the rest of the page
 * (`<!--`), add a column with a pipe, or bring in <img>, <table> or <details>. The page has a size cap
 * below GitHub's 1 MiB per step, and says so when it cut something off.
 */
export const SUMMARY_MAX_BYTES = 512 * 1024;

/** Text for a Markdown line or table cell: one line, HTML-escaped, Markdown punctuation backslash-escaped. */
export function markdownText(value: string): string {
  return printable(String(value).replace(/[\r\n\t]+/g, ' '))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`);
}

/** A value shown as code: backticks cannot be escaped inside a code span, so one that holds them is shown as text. */
export function markdownCode(value: string): string {
  const text = printable(String(value).replace(/[\r\n\t]+/g, ' '));
  return /[`<>&|]/.test(text) ? markdownText(text) : `\`${text}\``;
}

export class RunSummary {
  private readonly parts: string[] = [];
  private size = 0;
  private truncated = false;

  constructor(private readonly maxBytes = SUMMARY_MAX_BYTES) {}

  /** Adds trusted Markdown (built by this module's callers from escaped values). */
  private add(markdown: string): void {
    if (this.truncated) return;
    const bytes = Buffer.byteLength(markdown) + 1;
    // Room is kept for the truncation notice.
    if (this.size + bytes > this.maxBytes - 200) {
      this.truncated = true;
      return;
    }
    this.parts.push(markdown);
    this.size += bytes;
  }

  heading(text: string): this {
    this.add(`### ${markdownText(text)}\n`);
    return this;
  }

  paragraph(text: string, { bold = false } = {}): this {
    this.add(`${bold ? `**${markdownText(text)}**` : markdownText(text)}\n`);
    return this;
  }

  list(items: readonly string[]): this {
    for (const item of items) this.add(`- ${item}`);
    if (items.length) this.add('');
    return this;
  }

  table(headers: readonly string[], rows: readonly (readonly string[])[]): this {
    this.add(`| ${headers.map(markdownText).join(' | ')} |`);
    this.add(`|${headers.map(() => '---').join('|')}|`);
    for (const row of rows) this.add(`| ${row.map(markdownText).join(' | ')} |`);
    this.add('');
    return this;
  }

  get wasTruncated(): boolean {
    return this.truncated;
  }

  toString(): string {
    const notice = this.truncated ? `\n**This summary was cut off at ${Math.round(this.maxBytes / 1024)} KiB; the job's log has the rest.**\n` : '';
    return `${this.parts.join('\n')}\n${notice}`;
  }
}

/** The rotation table, for the page the approver reads. */
export function addRotationTable(summary: RunSummary, environment: string, lines: readonly RotationLine[], overrides?: RotationOverrides): RunSummary {
  summary.heading(`Certificates: ${environment}`);
  summary.table(
    ['certificate', 'change', 'in Key Vault now', 'from this run'],
    lines.map((l) => {
      const from = l.from ? `${shortThumbprint(l.from.thumbprint)} (expires ${day(l.from.expires)})` : '—';
      const allowed = allowedBy(l, overrides);
      const verdict = allowed.policy ? `allowed by ${allowed.policy}` : 'refused unless allowed';
      const what = [
        l.kind === 'rotating' ? 'new version in place' : l.kind === 'unchanged' ? 'unchanged, nothing imported' : 'new',
        l.policyChange ? `⚠ policy change (${l.policyChange}), ${verdict}` : '',
        l.keyMismatch ? `⚠ ${l.keyMismatch}, ${verdict}` : '',
        l.expiresSooner ? `⚠ expires sooner${allowed.expiry ? `, allowed by ${allowed.expiry}` : ''}` : '',
        l.expiryUnknown ? `⚠ expiry in place unknown${allowed.expiry ? `, allowed by ${allowed.expiry}` : ''}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return [l.name, what, from, `${shortThumbprint(l.to.thumbprint)} (expires ${day(l.to.expires)})`];
    }),
  );
  return summary;
}

/**
 * Puts the file on the run's summary page: appended to $GITHUB_STEP_SUMMARY on GitHub, attached with
 * `##vso[task.uploadsummary]` on Azure DevOps (a path this process chose: no value from outside in it),
 * nowhere else (a workstation prints its tables instead).
 */
export function publishSummary(file: string, env: NodeJS.ProcessEnv, log: StepLog): void {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return;
  const host = pipelineHost(env);
  if (host === 'github' && env.GITHUB_STEP_SUMMARY) {
    fs.appendFileSync(env.GITHUB_STEP_SUMMARY, fs.readFileSync(file));
  } else if (host === 'azure-devops') {
    if (/[\r\n\]]/.test(file)) throw new Error('a summary path must be one line without "]"');
    log.command(`##vso[task.uploadsummary]${file}`);
  } else {
    log.info(`summary written to ${file}`);
  }
}

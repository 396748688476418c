import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * Compiles an Azure Pipelines file the way Azure DevOps does before a run, for the subset of template
 * syntax this project uses: `template:` references (stages and steps) with parameters and defaults,
 * `${{ parameters.x }}` / loop variables, `${{ each }}`, `${{ if eq(a, 'b') }}` / `${{ else }}` and
 * `join()`. The result has no template syntax left, so Microsoft's schema can judge what will run
 * (the schema itself knows no `${{ }}`), and tests can read the steps and variables that result.
 */
export function compilePipeline(file: string): any {
  return expandDocument(file, {});
}

type Scope = Record<string, unknown>;
const EXPRESSION = /\$\{\{\s*(.*?)\s*\}\}/g;
const WHOLE = /^\$\{\{\s*(.*?)\s*\}\}$/;

function expandDocument(file: string, given: Record<string, unknown>): any {
  const doc = parse(fs.readFileSync(file, 'utf8'));
  const parameters: Record<string, unknown> = {};
  for (const p of (doc.parameters ?? []) as { name: string; default?: unknown }[]) {
    const value = p.name in given ? given[p.name] : p.default;
    if (value === undefined) throw new Error(`${file}: parameter ${p.name} is required`);
    parameters[p.name] = value;
  }
  const { parameters: _declared, ...body } = doc;
  return expand(body, { parameters }, path.dirname(file));
}

function evaluate(expr: string, scope: Scope): unknown {
  const call = /^(\w+)\((.*)\)$/.exec(expr);
  if (call) {
    const args = splitArgs(call[2]).map((a) => evaluate(a, scope));
    if (call[1] === 'eq') return String(args[0]).toLowerCase() === String(args[1]).toLowerCase();
    if (call[1] === 'ne') return String(args[0]).toLowerCase() !== String(args[1]).toLowerCase();
    if (call[1] === 'join') return (args[1] as unknown[]).join(String(args[0]));
    throw new Error(`unsupported template function ${call[1]}`);
  }
  const literal = /^'(.*)'$/.exec(expr);
  if (literal) return literal[1];
  return expr.split('.').reduce<any>((value, key) => {
    if (value === undefined || value === null || !(key in value)) throw new Error(`unknown template value ${expr}`);
    return value[key];
  }, scope);
}

function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      args.push(current.trim());
      current = '';
    } else current += ch;
  }
  return [...args, current.trim()].filter((a) => a !== '');
}

function expandString(text: string, scope: Scope): unknown {
  const whole = WHOLE.exec(text);
  if (whole) return evaluate(whole[1], scope);
  return text.replace(EXPRESSION, (_, expr) => String(evaluate(expr, scope)));
}

function directive(key: string): { kind: 'each'; variable: string; source: string } | { kind: 'if'; condition: string } | { kind: 'else' } | undefined {
  const m = WHOLE.exec(key);
  if (!m) return undefined;
  const each = /^each (\w+) in (.+)$/.exec(m[1]);
  if (each) return { kind: 'each', variable: each[1], source: each[2] };
  const cond = /^if (.+)$/.exec(m[1]);
  if (cond) return { kind: 'if', condition: cond[1] };
  if (m[1] === 'else') return { kind: 'else' };
  return undefined;
}

function expand(node: unknown, scope: Scope, dir: string): any {
  if (typeof node === 'string') return expandString(node, scope);
  if (Array.isArray(node)) return node.flatMap((item) => expandItem(item, scope, dir));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    let lastIf: boolean | undefined;
    for (const [key, value] of Object.entries(node)) {
      const d = directive(key);
      if (!d) {
        out[String(expandString(key, scope))] = expand(value, scope, dir);
        lastIf = undefined;
        continue;
      }
      const branches: Scope[] =
        d.kind === 'each'
          ? (evaluate(d.source, scope) as unknown[]).map((item) => ({ ...scope, [d.variable]: item }))
          : (d.kind === 'if' ? (lastIf = Boolean(evaluate(d.condition, scope))) : !lastIf)
            ? [scope]
            : [];
      for (const s of branches) Object.assign(out, expand(value, s, dir));
    }
    return out;
  }
  return node;
}

function expandItem(item: unknown, scope: Scope, dir: string): unknown[] {
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const entries = Object.entries(item);
    const d = entries.length === 1 ? directive(entries[0][0]) : undefined;
    if (d?.kind === 'each') {
      return (evaluate(d.source, scope) as unknown[]).flatMap((v) => expand(entries[0][1], { ...scope, [d.variable]: v }, dir));
    }
    if (d?.kind === 'if') return evaluate(d.condition, scope) ? expand(entries[0][1], scope, dir) : [];
    if ('template' in item) {
      const ref = item as { template: string; parameters?: Record<string, unknown> };
      const file = path.resolve(dir, String(expandString(ref.template, scope)));
      const compiled = expandDocument(file, expand(ref.parameters ?? {}, scope, dir));
      return compiled.stages ?? compiled.jobs ?? compiled.steps ?? [];
    }
  }
  return [expand(item, scope, dir)];
}

import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

/** A value with a comment above it (and optionally a blank line before that), for `renderYaml`. */
export class Annotated {
  constructor(
    readonly value: unknown,
    readonly comment?: string,
    readonly blankLineBefore = false,
  ) {}
}

/** `value`, with `comment` (one or more lines, without "#") written above it. */
export const commented = (comment: string, value: unknown) => new Annotated(value, comment);

/** A scalar with a comment after it on its own line: `uses: actions/checkout@<sha> # v7.0.1`. */
export class Trailing {
  constructor(
    readonly value: string,
    readonly comment: string,
  ) {}
}
export const trailing = (value: string, comment: string) => new Trailing(value, comment);

/** `value` after a blank line, with an optional comment above it. */
export const spaced = (value: unknown, comment?: string) => new Annotated(value, comment, true);

/**
 * YAML text of plain data (objects, arrays, strings, numbers, booleans, null), always formatted the same:
 * keys in the order given, sequences indented under their key, strings quoted only where YAML needs it
 * (single quotes), multi-line strings as literal blocks, no line folding. `header` becomes the comment at
 * the top. Same data, same bytes.
 */
export function renderYaml(header: string, contents: unknown): string {
  const doc = new Document();
  doc.contents = toNode(contents) as never;
  doc.commentBefore = asComment(header);
  return doc.toString({ lineWidth: 0, minContentWidth: 0, singleQuote: true, indentSeq: true, nullStr: '' });
}

function toNode(value: unknown): Node {
  if (value instanceof Annotated) {
    const node = toNode(value.value);
    decorate(node, value);
    return node;
  }
  if (value instanceof Trailing) {
    const scalar = new Scalar(value.value);
    scalar.comment = ` ${value.comment}`;
    return scalar;
  }
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value) seq.items.push(toNode(item));
    return seq;
  }
  if (value !== null && typeof value === 'object') {
    const map = new YAMLMap();
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const keyNode = new Scalar(key);
      // A comment on a map entry goes on its key, so that it is written above the "key:" line.
      if (item instanceof Annotated) {
        decorate(keyNode, item);
        map.items.push(new Pair(keyNode, toNode(item.value)));
      } else {
        map.items.push(new Pair(keyNode, toNode(item)));
      }
    }
    return map;
  }
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
    const scalar = new Scalar(value);
    if (typeof value === 'string' && value.includes('\n')) scalar.type = Scalar.BLOCK_LITERAL;
    return scalar;
  }
  throw new Error(`renderYaml: cannot write a ${typeof value}`);
}

function decorate(node: Node, annotation: Annotated): void {
  if (annotation.comment !== undefined) node.commentBefore = asComment(annotation.comment);
  if (annotation.blankLineBefore) node.spaceBefore = true;
}

/** Each line with a space after the "#" that the YAML library adds, and none on an empty line. */
const asComment = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? ` ${line}` : ''))
    .join('\n');

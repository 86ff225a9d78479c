import { PAYLOAD_MAX_DEPTH } from '@conclave/contracts';

interface Node {
  value: unknown;
  /** 0 for the payload itself. */
  depth: number;
  parent?: Node;
  /** The key or index under the parent. */
  key?: string | number;
}

const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

/**
 * What is wrong with a parsed request body or socket payload before any DTO sees it, or undefined:
 * nesting past PAYLOAD_MAX_DEPTH (class-transformer and class-validator recurse once per level, and
 * overflow the stack long before a body's size limit), and strings PostgreSQL cannot store: U+0000,
 * and an unpaired surrogate (which also makes class-validator's byte-length check throw).
 *
 * One pass without recursion, stopping at the first problem; keys count as strings too.
 */
export function payloadProblem(payload: unknown): string | undefined {
  const pending: Node[] = [{ value: payload, depth: 0 }];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const { value, depth } = node;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return `${pathOf(node)} ${problem}`;
      continue;
    }
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    if (depth >= PAYLOAD_MAX_DEPTH) return `The payload is nested deeper than ${PAYLOAD_MAX_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) pending.push({ value: value[i], depth: depth + 1, parent: node, key: i });
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const problem = textProblem(key);
      if (problem) return `A field name in ${pathOf(node)} ${problem}`;
      pending.push({ value: child, depth: depth + 1, parent: node, key });
    }
  }
  return undefined;
}

/**
 * The same check for what the URL carries: Express decodes `?q=%00` into a query string with U+0000
 * (which PostgreSQL refuses, SQLSTATE 22021) and a path segment `%00` into a route parameter with
 * it. `path` is the raw (still percent-encoded) path; a segment that does not decode is left to
 * Express, which refuses it with 400 itself.
 */
export function urlProblem(query: unknown, path: string): string | undefined {
  for (const segment of path.split('/')) {
    const problem = textProblem(decoded(segment));
    if (problem) return `The URL path ${problem}`;
  }
  // Named as the DTO messages name a query's fields: `query.q`.
  return payloadProblem({ query });
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be well-formed Unicode (it has an unpaired surrogate)';
  return undefined;
}

/** `boxes[0].wrapped`, as the DTO messages name fields; `payload` for the payload itself. */
function pathOf(node: Node): string {
  let path = '';
  for (let at: Node | undefined = node; at?.parent; at = at.parent) {
    path = typeof at.key === 'number' ? `[${at.key}]${path}` : `.${at.key}${path}`;
  }
  return path.replace(/^\./, '') || 'payload';
}

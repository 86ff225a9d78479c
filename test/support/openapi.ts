import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under ESM its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }>>;
  components?: { schemas?: Record<string, Json> };
}

/**
 * Checks real responses against the schemas /api/docs-json documents for them (ajv). Objects are
 * closed (additionalProperties: false unless the document says otherwise), so a field the
 * document does not describe fails as surely as a missing or mistyped one.
 */
export class ResponseConformance {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    this.ajv.addSchema({ $id: 'openapi', components: nullables(close(structuredClone(document.components ?? {}))) });
  }

  /**
   * The schema errors of `body` as the response `status` of `method pathTemplate` (e.g. 'get',
   * '/api/admin/v1/rooms/{code}'); throws when the document has no JSON schema for that response.
   */
  errors(method: string, pathTemplate: string, status: number, body: unknown): ErrorObject[] {
    const key = `${method} ${pathTemplate} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      const operation = this.document.paths[pathTemplate]?.[method.toLowerCase()];
      if (!operation) throw new Error(`The OpenAPI document has no ${method.toUpperCase()} ${pathTemplate}`);
      const schema = operation.responses?.[String(status)]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`The OpenAPI document has no JSON schema for ${status} of ${method.toUpperCase()} ${pathTemplate}`);
      validate = this.ajv.compile(rebase(nullables(close(structuredClone(schema)))));
      this.compiled.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []);
  }

  /** Throws with the errors, naming the route, when `body` does not conform. */
  check(method: string, pathTemplate: string, status: number, body: unknown): void {
    const errors = this.errors(method, pathTemplate, status, body);
    if (errors.length) {
      throw new Error(`${method.toUpperCase()} ${pathTemplate} ${status} does not match its documented schema:\n${JSON.stringify(errors, null, 2)}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
    }
  }
}

/** '#/components/…' references point into the document registered as 'openapi'. */
function rebase(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/components/', '"$ref":"openapi#/components/'));
}

/** Every object schema with properties and no additionalProperties of its own becomes closed. */
function close<T>(node: T): T {
  if (Array.isArray(node)) node.forEach(close);
  else if (node && typeof node === 'object') {
    const object = node as Json;
    if (object.type === 'object' && object.properties && object.additionalProperties === undefined) object.additionalProperties = false;
    Object.values(object).forEach(close);
  }
  return node;
}

/**
 * OpenAPI 3.0's `nullable: true` admits null for the whole schema, as Swagger UI and client generators
 * read it, also beside an allOf $ref (how @nestjs/swagger writes a nullable nested object) or an enum.
 * ajv's own `nullable` only widens `type`, and still holds null to the allOf or enum: so each such
 * schema becomes anyOf [null, the schema without nullable].
 */
function nullables<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullables) as T;
  if (!node || typeof node !== 'object') return node;
  const object = Object.fromEntries(Object.entries(node as Json).map(([key, value]) => [key, nullables(value)])) as Json;
  if (object.nullable !== true) return object as T;
  const { nullable: _nullable, ...schema } = object;
  return { anyOf: [{ type: 'null' }, schema] } as T;
}

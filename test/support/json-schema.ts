/**
 * A small JSON-schema checker for the subset src/realtime/asyncapi.ts writes ($ref into the document's
 * components, type (or a list of types), const, enum, pattern, min/maxLength, minimum/maximum, items, maxItems,
 * properties, required, additionalProperties: false, oneOf, formats uuid and date-time). Returns what is wrong,
 * one line per problem with the JSON path; [] when the value fits. A keyword it does not know is an error, so the
 * checker cannot silently accept what it does not check.
 */
type Schema = Record<string, any>;

const KNOWN = new Set([
  '$ref',
  'type',
  'description',
  'format',
  'enum',
  'const',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'items',
  'maxItems',
  'properties',
  'required',
  'additionalProperties',
  'oneOf',
  'examples',
]);

const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function schemaProblems(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length) return [`${path}: the checker does not know ${unknown.join(', ')}`];
  if (schema.$ref) {
    const name = /^#\/components\/schemas\/(\w+)$/.exec(schema.$ref)?.[1];
    const target = name && root.components?.schemas?.[name];
    return target ? schemaProblems(value, target, root, path) : [`${path}: unresolved ${schema.$ref}`];
  }
  if (schema.oneOf) {
    const fits = (schema.oneOf as Schema[]).map((s) => schemaProblems(value, s, root, path));
    const matching = fits.filter((p) => p.length === 0).length;
    if (matching === 1) return [];
    return matching === 0
      ? [`${path}: matches none of oneOf: ${fits.map((p) => p.join('; ')).join(' | ')}`]
      : [`${path}: matches ${matching} branches of oneOf`];
  }
  const problems: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const allowed: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const ok = allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
    if (!ok) return [`${path}: ${JSON.stringify(value)} is ${actual}, not ${allowed.join(' or ')}`];
  }
  if ('const' in schema && value !== schema.const)
    problems.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value))
    problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format].test(value))
      problems.push(`${path}: "${value}" is not a ${schema.format}`);
    if (schema.format && !FORMATS[schema.format]) problems.push(`${path}: unknown format ${schema.format}`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value))
      problems.push(`${path}: "${value}" does not match ${schema.pattern}`);
    if (schema.minLength !== undefined && length < schema.minLength)
      problems.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && length > schema.maxLength)
      problems.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      problems.push(`${path}: ${value} < ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      problems.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      problems.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items)
      value.forEach((item, i) => problems.push(...schemaProblems(item, schema.items, root, `${path}[${i}]`)));
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? [])
      if (!(key in object)) problems.push(`${path}: lacks required property ${key}`);
    for (const [key, child] of Object.entries(object)) {
      const sub = schema.properties?.[key];
      if (sub) problems.push(...schemaProblems(child, sub, root, `${path}.${key}`));
      else if (schema.additionalProperties === false)
        problems.push(`${path}: has undocumented property ${key}`);
    }
  }
  return problems;
}

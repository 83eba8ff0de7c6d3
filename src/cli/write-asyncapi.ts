import 'reflect-metadata';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { buildAsyncApi } from '../realtime/asyncapi';

/**
 * `npm run docs:asyncapi`: writes docs/asyncapi.json, the document GET /docs/asyncapi serves (then Prettier
 * formats it as the pre-commit hook would). test/api-docs.e2e-spec.ts fails while the two differ.
 */
const target = join(__dirname, '..', '..', 'docs', 'asyncapi.json');
writeFileSync(target, `${JSON.stringify(buildAsyncApi(), null, 2)}\n`);
console.log(`wrote ${target}`);

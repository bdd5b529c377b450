// Writes docs/schema.md from the table declarations (run after build:ts: npm run docs:schema).
import { mkdirSync, writeFileSync } from 'node:fs';
import { schemaDoc } from '../dist/src/store/schema-doc.js';

const out = new URL('../docs/schema.md', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, schemaDoc());

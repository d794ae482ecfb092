import { writeFileSync } from 'node:fs';
import { renderCatalogMarkdown } from '../src/errors/catalog.ts';

const target = new URL('../docs/errors.md', import.meta.url);
writeFileSync(target, renderCatalogMarkdown());
console.log(`wrote ${target.pathname}`);

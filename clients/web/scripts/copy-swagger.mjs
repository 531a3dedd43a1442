// Copy Swagger UI from the npm package swagger-ui-dist into dist/swagger/, so that `arena serve` shows
// the API reference at /api/docs without any CDN (server/api/docs.py serves these files).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const src = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'swagger');
const FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

mkdirSync(out, { recursive: true });
for (const f of FILES) copyFileSync(path.join(src, f), path.join(out, f));
console.log(`copied Swagger UI (${FILES.length} files) to dist/swagger/`);

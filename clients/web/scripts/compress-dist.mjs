// Write .br and .gz next to every text asset in dist/. aiohttp's FileResponse (used by
// `arena serve` for / and /assets) sends the pre-compressed sibling when the browser accepts it.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TEXT = /\.(js|css|html|svg|json|txt)$/;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

let n = 0;
for (const file of walk(dist)) {
  if (!TEXT.test(file)) continue;
  const buf = readFileSync(file);
  if (buf.length < 1024) continue;
  writeFileSync(`${file}.gz`, gzipSync(buf, { level: 9 }));
  writeFileSync(`${file}.br`, brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }));
  n++;
}
console.log(`compressed ${n} files in dist/ (.br, .gz)`);

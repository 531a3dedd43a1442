// Copy the Socket.IO Admin UI (npm @socket.io/admin-ui, its ui/dist) into dist/admin-ui/, with the icon
// font from npm @mdi/font in dist/admin-ui/mdi/, so that `arena serve` shows it at /admin/socketio/ without
// any CDN (server/api/admin.py serves these files, behind the admin credential: docs/operators.md).
// The UI's index.html links Roboto and the icon font from CDNs: the icon link is pointed at the local
// copy, the Roboto link is dropped (the browser's sans-serif is used instead).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkg = (name) => path.dirname(require.resolve(`${name}/package.json`));
const ui = path.join(pkg('@socket.io/admin-ui'), 'ui', 'dist');
const mdi = pkg('@mdi/font');
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'admin-ui');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(ui, out, { recursive: true, filter: (src) => !src.endsWith('.map') });
cpSync(path.join(mdi, 'css', 'materialdesignicons.min.css'), path.join(out, 'mdi', 'css', 'materialdesignicons.min.css'));
for (const f of ['materialdesignicons-webfont.woff2', 'materialdesignicons-webfont.woff']) {
  cpSync(path.join(mdi, 'fonts', f), path.join(out, 'mdi', 'fonts', f));
}

const index = path.join(out, 'index.html');
let html = readFileSync(index, 'utf8');
html = html.replace(/<link rel="stylesheet" href="https:\/\/fonts\.googleapis\.com\/[^"]*">/, '');
html = html.replace(/<link rel="stylesheet" href="https:\/\/cdn\.jsdelivr\.net\/npm\/@mdi\/font[^"]*">/,
  '<link rel="stylesheet" href="mdi/css/materialdesignicons.min.css">');
if (/https?:\/\//.test(html)) throw new Error('admin-ui/index.html still links a remote file');
writeFileSync(index, html);
console.log('copied the Socket.IO Admin UI and its icon font to dist/admin-ui/');

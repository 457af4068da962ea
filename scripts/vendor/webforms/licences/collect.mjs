// Write the licence texts of everything web-forms.js and web-forms.css contain into LICENSES.txt:
// ODK Web Forms itself (Apache-2.0), Vue (from ../../node_modules), and the packages @getodk/web-forms
// bundles inside its dist (installed here only for their licence files).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
const buildOnly = /^(@babel\/|@vue\/compiler-|@vue\/server-renderer$|@jridgewell\/|@types\/|postcss$|nanoid$|picocolors$|source-map-js$|magic-string$|estree-walker$|entities$|csstype$|debug$|ms$|vue$|@vue\/)/;
const roots = [[join(here, 'node_modules'), (name) => !buildOnly.test(name)],
               [join(here, '..', '..', 'node_modules'), (name) => /^(vue|@vue\/(shared|reactivity|runtime-core|runtime-dom))$/.test(name)]];
const packages = new Map();
for (const [root, wanted] of roots) {
  const names = readdirSync(root).flatMap((d) => d.startsWith('@') ? readdirSync(join(root, d)).map((s) => `${d}/${s}`) : [d]);
  for (const name of names.filter((n) => !n.startsWith('.') && wanted(n))) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const licence = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type ?? '';
    packages.set(name, { name, version: manifest.version, licence, text: file ? readFileSync(join(dir, file), 'utf8') : null });
  }
}
const rule = '='.repeat(78);
let text = `${rule}\n@getodk/web-forms 0.22.0 (with @getodk/xforms-engine, @getodk/xpath, @getodk/common, @getodk/tree-sitter-xpath) — Apache-2.0\n${rule}\n${readFileSync(join(here, 'ODK-WEB-FORMS-LICENSE.md'), 'utf8')}\n\n`;
for (const p of [...packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
  text += `${rule}\n${p.name} ${p.version} — ${p.licence}\n${rule}\n${p.text ?? `(the package ships no licence file; its licence: ${p.licence})`}\n\n`;
}
text += `${rule}\nsortablejs (inside vue-draggable-plus) — MIT, Copyright (c) 2019 All contributors to Sortable\n${rule}\n`;
writeFileSync(out, text);

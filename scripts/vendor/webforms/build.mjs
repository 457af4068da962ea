// Bundle ODK Web Forms (with Vue) into server/static/vendor/webforms/: web-forms.js (ESM), web-forms.css.
// Run by scripts/vendor-js after `npm ci`; never needed to serve or test.
//  - The package injects its CSS from JavaScript; it is moved into web-forms.css instead (a CSP without
//    inline styles for it), without the embedded Roboto fonts (the pages use the system's Chinese fonts).
//  - One line of the package is patched: the form state the OdkWebForm component keeps is also handed to
//    the page, so a draft can be saved as the worker types (root.prepareInstancePayload). The build fails
//    if the line is not found, so a new version is never bundled without the draft hook.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
mkdirSync(outdir, { recursive: true });
let css = null;

const webFormsSource = {
  name: 'lastmeter-web-forms-source',
  setup(build) {
    build.onLoad({ filter: /@getodk[\\/]web-forms[\\/]dist[\\/].*\.js$/ }, (args) => {
      let src = readFileSync(args.path, 'utf8');
      const injected = /^\(function\(\)\{"use strict";try\{if\(typeof document<"u"\)\{var (\w)=document\.createElement\("style"\);\1\.appendChild\(document\.createTextNode\(([\s\S]*?)\)\),document\.head\.appendChild\(\1\)\}\}catch\((\w)\)\{console\.error\("vite-plugin-css-injected-by-js",\3\)\}\}\)\(\);/;
      const match = injected.exec(src);
      if (match) {
        css = vm.runInNewContext(match[2]).replace(/@font-face\{[^}]*\}/g, '');
        src = src.slice(match[0].length);
      }
      const state = /const (\w+) = initializeFormState\(\),/;
      if (state.test(src)) {
        src = src.replace(state, 'const $1 = (globalThis.__lastmeterWebFormState = initializeFormState()),');
      } else if (/initializeFormState\(\)/.test(src)) {
        throw new Error('web-forms: the form state line changed; update the draft hook in build.mjs');
      }
      return { contents: src, loader: 'js' };
    });
  },
};

await esbuild.build({
  entryPoints: { 'web-forms': join(here, 'entry.js') },
  bundle: true,
  minify: true,
  legalComments: 'none', // the licences are in LICENSES.txt beside the bundle
  target: ['es2022'],
  platform: 'browser',
  format: 'esm',
  outdir,
  plugins: [webFormsSource],
  define: {
    'process.env.NODE_ENV': '"production"',
    __VUE_OPTIONS_API__: 'true', // PrimeVue components use the Options API
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  logLevel: 'warning',
});
if (css === null || !readFileSync(join(outdir, 'web-forms.js'), 'utf8').includes('__lastmeterWebFormState')) {
  throw new Error('web-forms: CSS block or draft hook not found (package layout changed?)');
}
writeFileSync(join(outdir, 'web-forms.css'), css);
// What the bundle was built from, so a test can tell when it is stale.
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const lock = JSON.parse(readFileSync(join(here, '..', 'package-lock.json'), 'utf8')).packages;
writeFileSync(join(outdir, 'BUILD.json'), JSON.stringify({
  '@getodk/web-forms': lock['node_modules/@getodk/web-forms'].version,
  vue: lock['node_modules/vue'].version,
  esbuild: lock['node_modules/esbuild'].version,
  sources: { 'entry.js': sha256(join(here, 'entry.js')), 'build.mjs': sha256(join(here, 'build.mjs')) },
  outputs: { 'web-forms.js': sha256(join(outdir, 'web-forms.js')), 'web-forms.css': sha256(join(outdir, 'web-forms.css')) },
}, null, 2) + '\n');

// The comments of the WGSL kernels (bindings/webgpu/*.wgsl) name only what exists: every file they mention
// (*.wgsl, *.js) is in bindings/webgpu/, and every snake_case or called name (`name()`) is an identifier of
// the kernels' or the backend's code there. Headers that name files and functions of an older layout mislead
// whoever reads them to change a kernel.
const fs = require('fs');
const path = require('path');
const { ROOT } = require('./helpers');

const DIR = path.join(ROOT, 'bindings', 'webgpu');
const files = fs.readdirSync(DIR);
const wgsl = files.filter((f) => f.endsWith('.wgsl'));
const comment = (line) => { const i = line.indexOf('//'); return i < 0 ? '' : line.slice(i + 2); };
const code = (line) => { const i = line.indexOf('//'); return i < 0 ? line : line.slice(0, i); };
const source = files.filter((f) => /\.(wgsl|js)$/.test(f)).map((f) => fs.readFileSync(path.join(DIR, f), 'utf8'));
const identifiers = new Set(source.flatMap((text) => text.split('\n').map(code).join('\n').match(/[A-Za-z_][A-Za-z0-9_]*/g) || []));
// Words of the comments that look like names but are prose (mathematical and WGSL terms).
const PROSE = new Set(['x', 'y']);

test.each(wgsl)('%s names only files and identifiers that exist', (file) => {
  const comments = fs.readFileSync(path.join(DIR, file), 'utf8').split('\n').map(comment).join('\n');
  const missing = [];
  for (const [name] of comments.matchAll(/[A-Za-z0-9_*]+\.(?:wgsl|js)\b/g)) {
    const pattern = new RegExp(`^${name.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
    if (!files.some((f) => pattern.test(f))) missing.push(`file ${name}`);
  }
  for (const [, name] of comments.matchAll(/\b([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*(?=\(\)))/g)) {
    if (!PROSE.has(name) && !identifiers.has(name)) missing.push(name);
  }
  expect([...new Set(missing)]).toEqual([]);
});

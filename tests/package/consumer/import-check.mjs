// ES module consumer: import from 'deformconv-wasm' (named and default), run the case, print the result as JSON.
import { readFileSync } from 'node:fs';
import { createDeformConv, layouts, version } from 'deformconv-wasm';
import defaultExport from 'deformconv-wasm';
import { runCase } from './run-case.mjs';

const c = JSON.parse(readFileSync(new URL('./case.json', import.meta.url), 'utf8'));
const result = await runCase({ createDeformConv, layouts, version }, c, { threads: 2 });
const resolved = import.meta.resolve('deformconv-wasm');
console.log(JSON.stringify({ resolved, defaultHasApi: typeof defaultExport.createDeformConv === 'function', ...result }));

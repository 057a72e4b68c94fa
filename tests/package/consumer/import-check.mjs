// ES module consumer: import from 'deformconv-wasm' (named exports), run the case, print the result as JSON.
import { readFileSync } from 'node:fs';
import * as api from 'deformconv-wasm';
import { createDeformConv, layouts, version } from 'deformconv-wasm';
import { runCase } from './run-case.mjs';

const c = JSON.parse(readFileSync(new URL('./case.json', import.meta.url), 'utf8'));
const result = await runCase(api, c, { threads: 2 });
const resolved = import.meta.resolve('deformconv-wasm');
const named = [createDeformConv, layouts, version].every((x, i) => x === [api.createDeformConv, api.layouts, api.version][i]);
console.log(JSON.stringify({ resolved, named, ...result }));

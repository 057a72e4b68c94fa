// Bundles one folder (argv[3]: vite-page or vite-worker) with Vite 7, the repository's own devDependency, whose
// entry the test passes as argv[2], into <folder>/dist. vite-page uses Vite's defaults, as a web developer's
// project would; vite-worker adds worker.format 'es', which Vite needs for module workers that load code lazily.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [vite, folder] = process.argv.slice(2);
const { build } = await import(pathToFileURL(vite).href);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), folder);
await build({ root, configFile: false, logLevel: 'warn', ...(folder === 'vite-worker' ? { worker: { format: 'es' } } : {}) });

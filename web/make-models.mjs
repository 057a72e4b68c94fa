// Writes the example models of the demo page's "Your model" section into web/models/ (git-ignored), with
// an index the page reads: a ResNet-50-DCN stage as mmdet builds it, a branchy graph with parallel DeformConv
// branches and skip connections, and DCNv1 in its 3-input form fed straight from graph inputs. Run by
// scripts/build.sh; the models come from tools/onnx-models.cjs (onnx-proto, a devDependency).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const models = createRequire(import.meta.url)('../tools/onnx-models.cjs');
const out = join(here, 'models');

const EXAMPLES = [
  {
    file: 'r50dcn-stage.onnx',
    title: 'ResNet-50-DCN stage (mmdet)',
    about: 'two bottlenecks at 256/64 channels, 40x40: 1x1 conv, offset conv, sigmoid mask, DCNv2 3x3, BN, 1x1 conv, skip add',
    model: () => models.chainModel({ channels: 256, width: 64, size: 40, seed: 61 }),
  },
  {
    file: 'branchy.onnx',
    title: 'Branchy graph',
    about: 'parallel DeformConv branches (DCNv2 with groups, DCNv1), a dilated DCNv2, skip connections, three outputs',
    model: () => models.branchyModel({ seed: 2, shuffle: true }),
  },
  {
    file: 'dcnv1-direct.onnx',
    title: 'DCNv1 from graph inputs',
    about: 'one DeformConv (X, W, offset) fed straight from the inputs: stride 2x1, asymmetric pads, dilation 1x2, 2 groups, symbolic sizes',
    model: () => models.directModel({ seed: 3, withBias: false, withMask: false }),
    dims: { N: 1, H: 9, W: 11, Ho: 5, Wo: 8 }, // the sizes of its symbolic dimensions the page starts with
  },
];

mkdirSync(out, { recursive: true });
const index = [];
for (const e of EXAMPLES) {
  const { bytes } = e.model();
  writeFileSync(join(out, e.file), bytes);
  index.push({ file: e.file, title: e.title, about: e.about, bytes: bytes.length, dims: e.dims || {} });
}
writeFileSync(join(out, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
console.log(`example models written to web/models/ (${index.map((e) => e.file).join(', ')})`);

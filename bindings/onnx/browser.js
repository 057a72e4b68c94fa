// Browser entry of deformconv-wasm/onnx (bundled to dist/onnx-browser.mjs). This package's layers come from
// its main browser entry, through its public API only (scripts/build-js.mjs keeps '../api/browser.js' as an
// import of './browser.mjs'). A model given as a relative URL is fetched relative to the page (or worker).
import { createDeformConv } from '../api/browser.js';
import { loadModel } from './load-model.js';
import { InferenceSession, setPlatform } from './session.js';

const base = () => (typeof document !== 'undefined' && document.baseURI) || (typeof location !== 'undefined' && location.href) || undefined;

setPlatform({ createDeformConv, loadModel: (model) => loadModel(model, { base: base() }) });

export { InferenceSession };

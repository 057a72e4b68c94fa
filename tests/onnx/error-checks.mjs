// How deformconv-wasm/onnx rejects what it cannot run: options, model sources, malformed bytes, graphs that
// cannot run, DeformConv nodes that are malformed or whose shapes disagree (the message names the node),
// wrong feeds and fetches. Each rejects with the right kind of error and a message that says what is wrong;
// whatever create had made is released; a session that rejected a run keeps working.
import {
  MODEL_TOLERANCE, assert, countingInstance, countingOrt, expectSameOutputs, models, random, randomFeeds, randomTensor,
  reference, rejects,
} from './harness.mjs';

const { GraphBuilder, chainModel, directModel, directOutputSize } = models;

/** A one-node DeformConv model from graph inputs X and offset, W (and B) initializers; attrs and dims vary. */
function oneNode({ attributes = {}, wDims = [4, 2, 3, 3], xDims = [1, 2, 'H', 'W'], opset = 19, inputs = null, bDims = null, name = 'dcn' } = {}) {
  const b = new GraphBuilder(5);
  b.input('X', xDims);
  b.input('offset', [1, 18, 'Ho', 'Wo']);
  b.initializer('W', wDims, { scale: 0.3 });
  if (bDims) b.initializer('B', bDims, { scale: 0.3 });
  b.node('DeformConv', inputs || (bDims ? ['X', 'W', 'offset', 'B'] : ['X', 'W', 'offset']), ['Y'], attributes, name);
  b.output('Y', null);
  return b.encode({ opset });
}

/** The builder of a two-bottleneck chain, to spoil before encoding. */
function chainBuilder() {
  const b = new GraphBuilder(1);
  let y = b.input('image', [1, 16, 10, 10]);
  y = models.bottleneck(b, y, 16, 8, 'layer1.0');
  y = models.bottleneck(b, y, 16, 8, 'layer1.1');
  b.output(y, [1, 16, 10, 10]);
  return b;
}

export function errorChecks(env) {
  const { ort, InferenceSession } = env;
  const checks = [];
  const check = (name, run) => checks.push({ name, run });
  const chain = chainModel({ seed: 2 });

  check('options: missing, without ort, a wrong ort, ort.default, a wrong or conflicting deformConv', async () => {
    await rejects(InferenceSession.create(chain.bytes), TypeError, /options with your onnxruntime module/, 'no options');
    await rejects(InferenceSession.create(chain.bytes, {}), TypeError, /options\.ort is required/, 'no ort');
    await rejects(InferenceSession.create(chain.bytes, { ort: { InferenceSession: {} } }), TypeError, /options\.ort must be the onnxruntime module.*got an object/, 'wrong ort');
    await rejects(InferenceSession.create(chain.bytes, { ort: { default: ort } }), TypeError, /'default' export looks right/, 'ort.default');
    await rejects(InferenceSession.create(chain.bytes, { ort, deformConv: {} }), TypeError, /options\.deformConv must be an instance from createDeformConv/, 'wrong deformConv');
    const dc = await env.createDeformConv({ threads: 1 });
    await rejects(InferenceSession.create(chain.bytes, { ort, deformConv: dc, threads: 2 }), TypeError, /deformConv is an instance already made, so threads cannot be given too/, 'conflict');
    dc.dispose();
    // Our own options are createDeformConv's, checked by it.
    await rejects(InferenceSession.create(chain.bytes, { ort, backend: 'cuda' }), RangeError, /backend must be 'auto', 'wasm' or 'webgpu'/, 'backend');
    await rejects(InferenceSession.create(chain.bytes, { ort, threads: 0 }), RangeError, /threads must be an integer between 1 and 256/, 'threads');
  });

  check('model sources: a number, an empty string, a missing file, an HTTP error', async () => {
    await rejects(InferenceSession.create(42, { ort }), TypeError, /model must be the model's bytes \(Uint8Array or ArrayBuffer\) or its URL or file path, got number 42/, 'number');
    await rejects(InferenceSession.create(new Float32Array(4), { ort }), TypeError, /got a Float32Array/, 'Float32Array');
    await rejects(InferenceSession.create('', { ort }), TypeError, /empty string/, 'empty');
    await rejects(InferenceSession.create('/nonexistent/model.onnx', { ort }), Error, /could not read the model file \/nonexistent\/model\.onnx: ENOENT/, 'missing file');
    await rejects(InferenceSession.create('http://127.0.0.1:9/model.onnx', { ort }), Error, /could not load the model from http:\/\/127\.0\.0\.1:9\/model\.onnx/, 'no server');
  });

  check('malformed bytes: empty, truncated, random, another format', async () => {
    const bad = [
      ['empty', new Uint8Array(0)],
      ['random', Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 256)],
      ['PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
      ['JSON', new TextEncoder().encode('{"graph": {"node": []}}')],
    ];
    for (const at of [1, 10, 100, 1000, chain.bytes.length - 1]) bad.push([`truncated at ${at}`, chain.bytes.subarray(0, at)]);
    for (const [label, bytes] of bad) {
      await rejects(InferenceSession.create(bytes, { ort }), Error, /^the model is not a valid ONNX model: /, label);
    }
    // onnxruntime's own format: said so.
    const ortFormat = Uint8Array.from([0x14, 0, 0, 0, 0x4f, 0x52, 0x54, 0x4d, 0, 0, 0, 0]);
    await rejects(InferenceSession.create(ortFormat, { ort }), Error, /^the model is in onnxruntime's own format \(\.ort\), not ONNX/, 'ORT format');
  });

  check('graphs that cannot run: a cycle, a missing producer, a tensor produced twice (the node is named)', async () => {
    const cyclic = chainBuilder();
    cyclic.nodes[0].input[0] = 'layer1.1.out';
    await rejects(InferenceSession.create(cyclic.encode(), { ort }), Error, /the graph has a cycle: nodes 'layer1\.0\.conv1'|the graph has a cycle: nodes .*can never run/, 'cycle');
    const missing = chainBuilder();
    missing.nodes[3].input[0] = 'nowhere';
    await rejects(InferenceSession.create(missing.encode(), { ort }), Error, /node 'Split_3' reads 'nowhere', which no node produces and which is neither a graph input nor an initializer/, 'missing producer');
    const noInit = chainBuilder();
    noInit.initializers = noInit.initializers.filter((t) => t.name !== 'layer1.1.conv2.weight');
    await rejects(InferenceSession.create(noInit.encode(), { ort }), Error, /node 'layer1\.1\.conv2\.dcn' reads 'layer1\.1\.conv2\.weight', which no node produces/, 'missing initializer');
    const twice = chainBuilder();
    twice.nodes[2].output[0] = twice.nodes[1].output[0];
    await rejects(InferenceSession.create(twice.encode(), { ort }), Error, /the tensor 'layer1\.0\.relu1' is produced twice/, 'produced twice');
  });

  check('DeformConv attributes: unknown, wrong type, wrong count or value (TypeError / RangeError naming the node)', async () => {
    const cases = [
      [{ attributes: { padding: [1, 1] } }, TypeError, /DeformConv node 'dcn' has the attribute 'padding', which DeformConv does not define/],
      [{ attributes: { group: 1.5 } }, TypeError, /DeformConv node 'dcn': attribute 'group' must be INT, got FLOAT/],
      [{ attributes: { pads: 1 } }, TypeError, /attribute 'pads' must be INTS, got INT/],
      [{ attributes: { strides: 'two' } }, TypeError, /attribute 'strides' must be INTS, got STRING/],
      [{ attributes: { pads: [1, 1] } }, RangeError, /DeformConv node 'dcn': pads must have 4 values \[top, left, bottom, right\], each at least 0, got \[1, 1\]/],
      [{ attributes: { pads: [1, -1, 1, 1] } }, RangeError, /pads must have 4 values .* got \[1, -1, 1, 1\]/],
      [{ attributes: { strides: [0, 1] } }, RangeError, /strides must have 2 values \(height, width\), each at least 1, got \[0, 1\]/],
      [{ attributes: { dilations: [1, 1, 1] } }, RangeError, /DeformConv node 'dcn': 3-D|dilations must have 2 values/],
      [{ attributes: { group: 0 } }, RangeError, /group must be at least 1, got 0/],
      [{ attributes: { offset_group: -2 } }, RangeError, /offset_group must be at least 1, got -2/],
      [{ attributes: { group: 3 } }, RangeError, /W's 4 output channels cannot be split into group = 3 groups/],
      [{ attributes: { kernel_shape: [3, 2] } }, RangeError, /kernel_shape is \[3, 2\], but W is \[4, 2, 3, 3\]/],
      [{ attributes: { pads: [2 ** 40, 0, 0, 0] } }, RangeError, /attribute 'pads' must hold integers between/],
      [{ attributes: { pads: [2147483647, 0, 2147483647, 0] } }, RangeError, /DeformConv node 'dcn'/],
      [{ xDims: [1, 3, 'H', 'W'] }, RangeError, /X has 3 channels, but W \[4, 2, 3, 3\] with group = 1 takes 2/],
      [{ xDims: [1, 2, 'H'] }, RangeError, /X must be 4-D \(N, C, H, W\), but the model declares \[1, 2, H\]/],
      [{ attributes: { offset_group: 4 } }, RangeError, /X's 2 channels cannot be split into offset_group = 4 groups/],
      [{ bDims: [3] }, RangeError, /B must be \[4\] \(one value per output channel of W\), got \[3\]/],
      // A 1-D weight makes a 1-D DeformConv, which onnxruntime runs (and rejects here: X is 4-D).
      [{ wDims: [4, 2, 3] }, Error, /Can't create a session.*spatial dimensions/],
      [{ inputs: ['X', 'W'] }, TypeError, /DeformConv node 'dcn' must have the inputs X, W and offset/],
      [{ inputs: ['X', '', 'offset'] }, TypeError, /must have the inputs X, W and offset/],
      [{ opset: 17 }, Error, /DeformConv node 'dcn': ONNX defines DeformConv from opset 19, but the model imports opset 17/],
      [{ name: '' }, TypeError, /DeformConv node #0 \(DeformConv, unnamed\) has the attribute 'foo'/, { foo: 1 }],
    ];
    for (const [i, [spec, Kind, pattern, extra]] of cases.entries()) {
      const bytes = oneNode(extra ? { ...spec, attributes: extra } : spec);
      await rejects(InferenceSession.create(bytes, { ort }), Kind, pattern, `case ${i}: ${JSON.stringify(spec)}`);
    }
  });

  check('a DeformConv whose shapes disagree at a run rejects naming the node; the session keeps working', async () => {
    const bytes = directModel({ openChannels: true });
    const session = await InferenceSession.create(bytes.bytes, { ort });
    const rand = random(51);
    const good = () => {
      const [Ho, Wo] = directOutputSize(9, 11);
      return { X: randomTensor(ort, rand, [1, 6, 9, 11]), offset: randomTensor(ort, rand, [1, 36, Ho, Wo], -2, 2), mask: randomTensor(ort, rand, [1, 18, Ho, Wo], 0, 1) };
    };
    const [Ho, Wo] = directOutputSize(9, 11);
    const cases = [
      [{ X: randomTensor(ort, rand, [1, 4, 9, 11]) }, RangeError, /DeformConv node 'dcn': X has 4 channels, but W \[4, 3, 3, 3\] with group = 2 takes 6/],
      [{ offset: randomTensor(ort, rand, [1, 18, Ho, Wo]) }, RangeError, /DeformConv node 'dcn': offset must have 2 · offset_group · kh · kw = 36 channels, got \[1, 18, \d+, \d+\]/],
      [{ offset: randomTensor(ort, rand, [1, 36, Ho + 1, Wo]) }, RangeError, /^DeformConv node 'dcn': .*offset/],
      [{ mask: randomTensor(ort, rand, [1, 9, Ho, Wo]) }, RangeError, /mask must have offset_group · kh · kw = 18 channels/],
      [{ X: randomTensor(ort, rand, [2, 6, 9, 11]) }, RangeError, /^DeformConv node 'dcn': /],
    ];
    for (const [i, [change, Kind, pattern]] of cases.entries()) {
      await rejects(session.run({ ...good(), ...change }), Kind, pattern, `case ${i}`);
      const feeds = good();
      expectSameOutputs(await session.run(feeds), await reference(ort, bytes.bytes, feeds), MODEL_TOLERANCE, `after case ${i}`);
    }
    await session.release();
  });

  check('feeds and fetches: wrong names, missing inputs, wrong types, dims or lengths; the session keeps working', async () => {
    const session = await InferenceSession.create(chain.bytes, { ort });
    const rand = random(52);
    const feeds = randomFeeds(ort, rand, chain.inputs);
    const ref = await reference(ort, chain.bytes, feeds);
    const cases = [
      [() => session.run(null), TypeError, /feeds must be an object with the model's input names as keys and tensors as values, got null/],
      [() => session.run([feeds.image]), TypeError, /feeds must be an object .* got an array of length 1/],
      [() => session.run({ ...feeds, extra: feeds.image }), TypeError, /feeds has 'extra', which is not an input of the model \(its inputs: image\)/],
      [() => session.run({}), TypeError, /feeds must have the model's input 'image'/],
      [() => session.run({ image: new Float32Array(1600) }), TypeError, /feeds\.image must be a Tensor \(type, dims, data\), got a Float32Array/],
      [() => session.run({ image: new ort.Tensor('int32', new Int32Array(1600), [1, 16, 10, 10]) }), TypeError, /feeds\.image must be a float32 tensor, as the model declares it, got int32/],
      [() => session.run({ image: randomTensor(ort, rand, [1, 16, 10, 11]) }), RangeError, /feeds\.image must have the shape \[1, 16, 10, 10\] the model declares, got \[1, 16, 10, 11\] \(dimension 3\)/],
      [() => session.run({ image: randomTensor(ort, rand, [16, 10, 10]) }), RangeError, /feeds\.image must have 4 dimensions, \[1, 16, 10, 10\] as the model declares, got \[16, 10, 10\]/],
      [() => session.run({ image: { type: 'float32', dims: [1, 16, 10, 10], data: new Float32Array(3) } }), RangeError, /feeds\.image has dims \[1, 16, 10, 10\] \(1600 elements\), but its data holds 3 elements/],
      [() => session.run(feeds, ['nope']), RangeError, /fetches names 'nope', which is not an output of the model \(its outputs: features\)/],
      [() => session.run(feeds, []), TypeError, /fetches must name at least one output, got an empty array/],
      [() => session.run(feeds, [3]), TypeError, /fetches must be output names \(strings\), got number 3/],
      [() => session.run(feeds, 'features'), TypeError, /the second argument of run must be fetches .* got the string "features"/],
      [() => session.run(feeds, ['features'], 5), TypeError, /run options must be an object, got number 5/],
      [() => session.run(feeds, { features: new ort.Tensor('float32', new Float32Array(4), [2, 2]) }), RangeError, /fetches\.features is a float32 tensor \[2, 2\], but the output is float32 \[1, 16, 10, 10\]/],
    ];
    for (const [i, [call, Kind, pattern]] of cases.entries()) {
      await rejects(call(), Kind, pattern, `case ${i}`);
      expectSameOutputs(await session.run(feeds), ref, MODEL_TOLERANCE, `after case ${i}`);
    }
    await session.release();
  });

  check("a create that fails releases onnxruntime's sessions and the prepared layers it had made", async () => {
    // The second DeformConv's parameters fail in the core at create (padding so large the output cannot be
    // allocated), after the first steps are made.
    const b = chainBuilder();
    const late = b.nodes.find((n) => n.name === 'layer1.1.conv2.dcn');
    late.attribute = late.attribute.map((a) => (a.name === 'pads' ? { ...a, ints: [1, 2000000000, 1, 2000000000] } : a));
    const countedOrt = countingOrt(ort);
    const dc = await env.createDeformConv({ threads: 1 });
    const countedDc = countingInstance(dc);
    await rejects(InferenceSession.create(b.encode(), { ort: countedOrt.ort, deformConv: countedDc.deformConv }), RangeError, /^DeformConv node 'layer1\.1\.conv2\.dcn': /, 'create');
    assert(countedOrt.created() >= 2, `${countedOrt.created()} onnxruntime sessions were made before the failure`);
    assert(countedOrt.live() === 0, `${countedOrt.live()} onnxruntime sessions left`);
    assert(countedDc.live() === 0, `${countedDc.live()} prepared layers left`);
    // onnxruntime rejecting a later part: the parts made before it are released too.
    const c = chainBuilder();
    c.nodes.find((n) => n.output[0] === 'layer1.1.out').opType = 'NoSuchOperator';
    await rejects(InferenceSession.create(c.encode(), { ort: countedOrt.ort, deformConv: countedDc.deformConv }), Error, /onnxruntime could not load part 3 of 3 of the model/, 'onnxruntime');
    assert(countedOrt.live() === 0 && countedDc.live() === 0, 'nothing left');
    const session = await InferenceSession.create(chain.bytes, { ort, deformConv: dc });
    const feeds = randomFeeds(ort, random(53), chain.inputs);
    expectSameOutputs(await session.run(feeds), await reference(ort, chain.bytes, feeds), MODEL_TOLERANCE, 'the instance still works');
    await session.release();
    dc.dispose();
  });

  check('an initializer kept in an external file, or of the wrong length, rejects naming the node and the tensor', async () => {
    const external = new GraphBuilder(6);
    external.input('X', [1, 2, 5, 5]);
    external.input('offset', [1, 18, 3, 3]);
    external.initializers.push({ name: 'W', dims: [4, 2, 3, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] });
    external.node('DeformConv', ['X', 'W', 'offset'], ['Y'], {}, 'dcn');
    external.output('Y', null);
    await rejects(InferenceSession.create(external.encode(), { ort }), Error, /DeformConv node 'dcn': W \('W'\) keeps its data in a separate file/, 'external');
    const short = new GraphBuilder(7);
    short.input('X', [1, 2, 5, 5]);
    short.input('offset', [1, 18, 3, 3]);
    short.initializers.push({ name: 'W', dims: [4, 2, 3, 3], dataType: 1, rawData: new Uint8Array(10) });
    short.node('DeformConv', ['X', 'W', 'offset'], ['Y'], {}, 'dcn');
    short.output('Y', null);
    await rejects(InferenceSession.create(short.encode(), { ort }), Error, /W \('W'\) has dims \[4, 2, 3, 3\] \(72 floats\), but holds 10 bytes of raw data/, 'short');
    const floats = new GraphBuilder(8);
    floats.input('X', [1, 2, 5, 5]);
    floats.input('offset', [1, 18, 3, 3]);
    floats.initializers.push({ name: 'W', dims: [4, 2, 3, 3], dataType: 1, floatData: Array.from({ length: 72 }, (_, i) => (i % 7) / 10) });
    floats.node('DeformConv', ['X', 'W', 'offset'], ['Y'], {}, 'dcn');
    floats.output('Y', null);
    // float_data instead of raw_data is read too.
    const rand = random(54);
    const feeds = { X: randomTensor(ort, rand, [1, 2, 5, 5]), offset: randomTensor(ort, rand, [1, 18, 3, 3]) };
    const session = await InferenceSession.create(floats.encode(), { ort });
    expectSameOutputs(await session.run(feeds), await reference(ort, floats.encode(), feeds), MODEL_TOLERANCE, 'float_data');
    await session.release();
  });

  return checks;
}

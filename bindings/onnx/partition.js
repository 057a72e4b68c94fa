// Splitting a graph at the nodes this package runs. The run alternates: onnxruntime runs a subgraph, this
// package runs the DeformConv nodes that are then ready, onnxruntime the next subgraph, and so on. Each node
// goes to the earliest step it can (its level: how many of our steps must come before it), so the number of
// steps is the least possible: the longest alternation along any path, whatever the graph's branches. Our
// nodes of one level do not depend on each other (parallel branches) and share a step.

/**
 * order: the nodes to run, producers before consumers (graph.js). runsHere: Set of the nodes this package runs.
 * graph: { outputs: [names], initializers: Map, sparseNames: Set, inputs: Map } (graph.js).
 * Returns the steps in run order: { runsOn: 'onnxruntime' | 'deformconv-wasm', nodes, reads (names from
 * outside the step), writes (names it must hand on: read by a later step, or graph outputs) }; an onnxruntime
 * step also lists `initializers` (those its nodes read) and `inputs` (what its model takes: everything it reads
 * but initializers, plus initializers that are also graph inputs, which a caller may feed).
 */
export function partitionGraph(order, runsHere, graph) {
  const producer = new Map();
  const level = new Map();
  const reads = (node) => [...node.inputs.filter((name) => name), ...node.outerNames];
  for (const node of order) {
    let l = 0;
    for (const name of reads(node)) {
      const p = producer.get(name);
      if (p) l = Math.max(l, level.get(p) + (runsHere.has(p) ? 1 : 0));
    }
    level.set(node, l);
    for (const name of node.outputs) if (name) producer.set(name, node);
  }
  // Step 2·l holds onnxruntime's nodes of level l, step 2·l + 1 ours.
  const byStep = [];
  for (const node of order) {
    const step = 2 * level.get(node) + (runsHere.has(node) ? 1 : 0);
    (byStep[step] ||= []).push(node);
  }
  const steps = [];
  byStep.forEach((nodes, step) => {
    if (nodes && nodes.length) steps.push({ runsOn: step % 2 ? 'deformconv-wasm' : 'onnxruntime', nodes });
  });

  // What each step reads from outside itself, and what it must hand on.
  const stepOf = new Map();
  steps.forEach((s, i) => {
    for (const node of s.nodes) for (const name of node.outputs) if (name) stepOf.set(name, i);
  });
  const neededLater = new Set(graph.outputs);
  for (const s of steps) {
    const written = new Set(s.nodes.flatMap((node) => node.outputs.filter((name) => name)));
    s.reads = [...new Set(s.nodes.flatMap(reads))].filter((name) => !written.has(name));
    for (const name of s.reads) neededLater.add(name);
  }
  const isConstant = (name) => graph.initializers.has(name) || graph.sparseNames.has(name);
  for (const s of steps) s.writes = s.nodes.flatMap((node) => node.outputs.filter((name) => name && neededLater.has(name)));
  // Graph outputs that are initializers: onnxruntime hands them out, from its last step (or one of their own).
  const constantOutputs = graph.outputs.filter(isConstant);
  if (constantOutputs.length) {
    let last = steps.filter((s) => s.runsOn === 'onnxruntime').pop();
    if (!last) steps.push(last = { runsOn: 'onnxruntime', nodes: [], reads: [], writes: [] });
    for (const name of constantOutputs) {
      if (!last.reads.includes(name)) last.reads.push(name);
      last.writes.push(name);
    }
  }
  for (const s of steps) {
    if (s.runsOn !== 'onnxruntime') continue;
    s.initializers = s.reads.filter(isConstant);
    s.inputs = s.reads.filter((name) => !isConstant(name) || graph.inputs.has(name));
  }
  return steps;
}

/**
 * The steps a run needs for the outputs asked for (wanted): a step runs when it writes something a later
 * running step reads or that was asked for. Returns { run: a boolean per step, needed: Set of the names some
 * running step reads, or that were asked for }.
 */
export function stepsNeeded(steps, wanted) {
  const needed = new Set(wanted);
  const run = steps.map(() => false);
  for (let i = steps.length - 1; i >= 0; i--) {
    if (steps[i].writes.some((name) => needed.has(name))) {
      run[i] = true;
      for (const name of steps[i].reads) needed.add(name);
    }
  }
  return { run, needed };
}

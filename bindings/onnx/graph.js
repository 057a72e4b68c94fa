// The structure of a model's main graph: who produces each tensor, an execution order (the nodes may come in
// any order in the file), and which nodes the outputs need. Rejects graphs that cannot run: a tensor produced
// twice, a node reading a tensor nothing provides, a cycle.
import { invalidModel } from './onnx-model.js';

/** How errors name a node: its name, or its position and operator when it has none. */
export function nodeLabel(node) {
  return node.name ? `'${node.name}'` : `#${node.index} (${node.opType || 'no op_type'}, unnamed)`;
}

/** The name a node has in a session's partition: its own, or one made from its position and operator. */
export function nodeName(node) {
  return node.name || `${node.opType || 'node'}_${node.index}`;
}

/**
 * graph: decodeModel(...).graph. Returns { order: the nodes the outputs need, in an order where every node
 * comes after the nodes it reads from (the file's order where that allows); producer: Map tensor name -> node;
 * initializers: Map name -> TensorProto; sparseNames: Set; inputs: Map name -> ValueInfo (graph inputs);
 * valueInfo: Map name -> ValueInfo (value_info, inputs and outputs) }.
 */
export function analyseGraph(graph) {
  const inputs = new Map();
  for (const v of graph.inputs) {
    if (!v.name) throw invalidModel('a graph input has no name');
    if (inputs.has(v.name)) throw invalidModel(`the graph input '${v.name}' is declared twice`);
    inputs.set(v.name, v);
  }
  const initializers = new Map();
  const sparseNames = new Set();
  for (const t of graph.initializers) {
    if (!t.name) throw invalidModel('an initializer has no name');
    if (initializers.has(t.name)) throw invalidModel(`the initializer '${t.name}' is defined twice`);
    initializers.set(t.name, t);
  }
  for (const t of graph.sparseInitializers) {
    if (!t.name || initializers.has(t.name) || sparseNames.has(t.name)) throw invalidModel(`the sparse initializer '${t.name}' has no name or a name already taken`);
    sparseNames.add(t.name);
  }
  const isSource = (name) => inputs.has(name) || initializers.has(name) || sparseNames.has(name);

  const producer = new Map();
  for (const node of graph.nodes) {
    for (const name of node.outputs) {
      if (!name) continue; // an optional output left out
      if (producer.has(name)) throw invalidModel(`the tensor '${name}' is produced twice, by nodes ${nodeLabel(producer.get(name))} and ${nodeLabel(node)}`);
      if (isSource(name)) throw invalidModel(`node ${nodeLabel(node)} produces '${name}', which is already a graph input or an initializer`);
      producer.set(name, node);
    }
  }
  const reads = (node) => [...node.inputs.filter((name) => name), ...node.outerNames];
  for (const node of graph.nodes) {
    for (const name of reads(node)) {
      if (!producer.has(name) && !isSource(name)) {
        throw invalidModel(`node ${nodeLabel(node)} reads '${name}', which no node produces and which is neither a graph input nor an initializer`);
      }
    }
  }
  const outputNames = new Set();
  for (const v of graph.outputs) {
    if (!v.name) throw invalidModel('a graph output has no name');
    if (outputNames.has(v.name)) throw invalidModel(`the graph output '${v.name}' is declared twice`);
    if (!producer.has(v.name) && !isSource(v.name)) throw invalidModel(`the graph output '${v.name}' is produced by no node`);
    outputNames.add(v.name);
  }

  // The nodes the outputs need, found backwards from them.
  const live = new Set();
  const stack = graph.outputs.map((v) => producer.get(v.name)).filter(Boolean);
  while (stack.length) {
    const node = stack.pop();
    if (live.has(node)) continue;
    live.add(node);
    for (const name of reads(node)) if (producer.has(name)) stack.push(producer.get(name));
  }

  const order = topologicalOrder(graph.nodes.filter((node) => live.has(node)), producer, reads);
  const valueInfo = new Map();
  for (const v of [...graph.valueInfo, ...graph.outputs, ...graph.inputs]) if (v.kind !== 'none') valueInfo.set(v.name, v);
  return { order, producer, initializers, sparseNames, inputs, valueInfo };
}

/** Kahn's algorithm, taking among the ready nodes the one earliest in the file (a binary heap on index). */
function topologicalOrder(nodes, producer, reads) {
  const waiting = new Map(); // node -> how many of its producers have not run yet
  const consumers = new Map(); // node -> nodes that read one of its outputs (once per read)
  for (const node of nodes) {
    let count = 0;
    for (const name of reads(node)) {
      const p = producer.get(name);
      if (!p) continue;
      count++;
      if (!consumers.has(p)) consumers.set(p, []);
      consumers.get(p).push(node);
    }
    waiting.set(node, count);
  }
  const heap = [];
  const push = (node) => {
    heap.push(node);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (heap[parent].index <= heap[i].index) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  };
  const pop = () => {
    const top = heap[0], last = heap.pop();
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && heap[l].index < heap[m].index) m = l;
        if (r < heap.length && heap[r].index < heap[m].index) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  for (const node of nodes) if (waiting.get(node) === 0) push(node);
  const order = [];
  while (heap.length) {
    const node = pop();
    order.push(node);
    for (const c of consumers.get(node) || []) {
      const left = waiting.get(c) - 1;
      waiting.set(c, left);
      if (left === 0) push(c);
    }
  }
  if (order.length < nodes.length) {
    const stuck = nodes.filter((node) => waiting.get(node) > 0);
    const some = stuck.slice(0, 5).map(nodeLabel).join(', ') + (stuck.length > 5 ? ` and ${stuck.length - 5} more` : '');
    throw invalidModel(`the graph has a cycle: nodes ${some} can never run (each waits, directly or through others, on its own output)`);
  }
  return order;
}

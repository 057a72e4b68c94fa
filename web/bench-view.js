// What the benchmark page shows: the "what runs" list, one table row per layer as its result arrives, and the
// chart of GFLOP/s (an SVG made with DOM calls, so no text is ever parsed as markup).
const SVG_NS = 'http://www.w3.org/2000/svg';

function element(tag, attributes = {}, ...children) {
  const node = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

/** A time in ms or a rate with three significant digits at most. */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return '—';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function renderEnvironment(list, env) {
  const ours = env.ours;
  const rows = [
    ['runs on', env.where === 'worker' ? 'a Web Worker' : 'the main thread'],
    ['page', env.crossOriginIsolated ? 'cross-origin isolated (SharedArrayBuffer: threads possible)' : 'not cross-origin isolated (one thread)'],
    ['deformconv-wasm', `${ours.version}, ${ours.wasmBuild} build, ${ours.threads} thread${ours.threads > 1 ? 's' : ''}, ${ours.simdInstructions}` +
      ('relaxedSimd' in ours ? `, relaxed SIMD ${ours.relaxedSimd ? 'on' : 'off'}` : '')],
    ['onnxruntime-web', `${env.ortWeb.version}, ${env.ortWeb.build}, ${env.ortWeb.numThreads} thread${env.ortWeb.numThreads > 1 ? 's' : ''}`],
    ['browser', `${env.userAgent}; ${env.hardwareConcurrency || '?'} logical cores`],
  ];
  list.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, value)]));
}

function timeCell(t) {
  return element('td', { class: 'num' }, formatNumber(t.medianMs), element('span', { class: 'spread' }, `${formatNumber(t.p25Ms)}–${formatNumber(t.p75Ms)}`));
}

/** One row of the results table. */
export function renderRow(tbody, r) {
  const name = element('th', { scope: 'row', title: r.what }, element('code', {}, r.name));
  const agree = element('td', { class: r.agreement.ok ? 'ok' : 'bad' },
    r.agreement.ok ? `yes (${r.agreement.worst.toExponential(1)})` : `NO: ${r.agreement.worst.toExponential(2)} at element ${r.agreement.index}`);
  const row = element('tr', { 'data-shape': r.name }, name, element('td', { class: 'num' }, r.gflop.toFixed(3)), agree);
  if (!r.ours) {
    row.append(element('td', { colspan: 6, class: 'bad' }, 'not timed: the outputs differ by more than the tolerance'));
  } else {
    const s = r.ratioSpread;
    row.append(
      timeCell(r.ours), timeCell(r.ortWeb),
      element('td', { class: 'num' }, formatNumber(r.ours.gflops)), element('td', { class: 'num' }, formatNumber(r.ortWeb.gflops)),
      element('td', { class: 'num ratio' }, `${r.ratio.toFixed(2)}x`,
        element('span', { class: 'spread' }, `${s.p25.toFixed(2)}–${s.p75.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`)),
      element('td', { class: 'num' }, String(r.rounds)),
    );
  }
  const old = tbody.querySelector(`tr[data-shape="${CSS.escape(r.name)}"]`);
  if (old) old.replaceWith(row);
  else tbody.append(row);
}

const SERIES = [
  { key: 'ours', label: 'deformconv-wasm', color: '#1f5fbf' },
  { key: 'ortWeb', label: 'onnxruntime-web', color: '#9aa5b4' },
];

/** Horizontal bars: for each timed layer one bar per library, GFLOP/s written at its end, the ratio beside. */
export function renderChart(container, results) {
  const timed = results.filter((r) => r.ours);
  if (!timed.length) {
    container.replaceChildren();
    return;
  }
  const max = Math.max(...timed.flatMap((r) => SERIES.map((x) => r[x.key].gflops)));
  const label = 190, plot = 460, right = 70, bar = 13, gap = 3, groupGap = 12, top = 28;
  const groupHeight = SERIES.length * (bar + gap) + groupGap;
  const width = label + plot + right, height = top + timed.length * groupHeight + 8;
  const svg = element('svg:svg', { viewBox: `0 0 ${width} ${height}`, width, role: 'img', class: 'chart', 'aria-label': 'GFLOP/s per layer: deformconv-wasm and onnxruntime-web' });
  SERIES.forEach((x, i) => {
    const at = label + i * 170;
    svg.append(element('svg:rect', { x: at, y: 6, width: 12, height: 12, fill: x.color }),
      element('svg:text', { x: at + 17, y: 16, class: 'legend' }, x.label));
  });
  timed.forEach((r, g) => {
    const y0 = top + g * groupHeight;
    svg.append(element('svg:text', { x: label - 8, y: y0 + bar + 2, 'text-anchor': 'end', class: 'name' }, r.name));
    SERIES.forEach((x, i) => {
      const value = r[x.key].gflops;
      const w = Math.max(1, (value / max) * plot);
      const y = y0 + i * (bar + gap);
      svg.append(element('svg:rect', { x: label, y, width: w.toFixed(1), height: bar, fill: x.color },
        element('svg:title', {}, `${x.label}: ${formatNumber(value)} GFLOP/s (${formatNumber(r[x.key].medianMs)} ms)`)),
      element('svg:text', { x: label + w + 4, y: y + bar - 2, class: 'value' }, formatNumber(value)));
    });
    svg.append(element('svg:text', { x: width - 4, y: y0 + bar + 2, 'text-anchor': 'end', class: 'ratio' }, `${r.ratio.toFixed(2)}x`));
  });
  container.replaceChildren(svg);
}

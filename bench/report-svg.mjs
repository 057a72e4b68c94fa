// The SVG chart of the report (bench/chart.svg): for every shape a group of horizontal bars, one per
// implementation (GFLOP/s, the value written at the end of the bar), and dashed lines at the measured WASM
// SIMD peak of 1 and 2 threads. Plain SVG, no script, so GitHub renders it in the README.

const SERIES = [
  { key: 'wasm1', label: 'ours, WASM, 1 thread', color: '#1f77b4' },
  { key: 'ort1', label: 'onnxruntime-web, 1 thread', color: '#aec7e8' },
  { key: 'wasm2', label: 'ours, WASM, 2 threads', color: '#d62728' },
  { key: 'ort2', label: 'onnxruntime-web, 2 threads', color: '#ff9896' },
  { key: 'prepared2', label: 'ours, WASM, 2 threads, prepared layer', color: '#ff7f0e' },
  { key: 'ortConst2', label: 'onnxruntime-web, 2 threads, constant weights', color: '#ffbb78' },
  { key: 'native1', label: 'ours, native, 1 thread', color: '#2ca02c' },
  { key: 'ortNode1', label: 'onnxruntime-node, 1 thread', color: '#98df8a' },
  { key: 'native2', label: 'ours, native, 2 threads', color: '#9467bd' },
  { key: 'ortNode2', label: 'onnxruntime-node, 2 threads', color: '#c5b0d5' },
];

function valuesOf(s) {
  return {
    wasm1: s.wasm[1].ours.gflops, ort1: s.wasm[1].ortWeb.gflops, wasm2: s.wasm[2].ours.gflops, ort2: s.wasm[2].ortWeb.gflops,
    prepared2: s.wasm[2].prepared ? s.wasm[2].prepared.ours.gflops : 0, ortConst2: s.wasm[2].prepared ? s.wasm[2].prepared.ortWeb.gflops : 0,
    native1: s.native[1].ours.gflops, ortNode1: s.native[1].ortNode.gflops, native2: s.native[2].ours.gflops, ortNode2: s.native[2].ortNode.gflops,
  };
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" axis end at or above x: 1, 2 or 5 times a power of ten. */
function niceCeil(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= x);
}

export function svgChart(results) {
  const bar = 11, gap = 2, groupGap = 18, left = 190, right = 70, top = 70, plotWidth = 560;
  const groupHeight = SERIES.length * (bar + gap) + groupGap;
  const legendRows = Math.ceil(SERIES.length / 2);
  const height = top + results.shapes.length * groupHeight + 30 + legendRows * 18 + 10;
  const width = left + plotWidth + right;
  const all = results.shapes.flatMap((s) => Object.values(valuesOf(s)));
  const axisMax = niceCeil(Math.max(...all, results.peak[2].total));
  const x = (v) => left + (v / axisMax) * plotWidth;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">Deformable convolution forward, GFLOP/s (higher is better)</text>`);
  out.push(`<text x="${width / 2}" y="37" text-anchor="middle" fill="#555">${escape(`${results.date}, ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`)}</text>`);
  // Grid and axis labels.
  const plotBottom = top + results.shapes.length * groupHeight - groupGap / 2;
  for (let i = 0; i <= 5; i++) {
    const v = (axisMax * i) / 5;
    out.push(`<line x1="${x(v)}" y1="${top - 8}" x2="${x(v)}" y2="${plotBottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x(v)}" y="${top - 12}" text-anchor="middle" fill="#555">${v}</text>`);
  }
  for (const [T, color] of [[1, '#1f77b4'], [2, '#d62728']]) {
    const v = results.peak[T].total;
    out.push(`<line x1="${x(v)}" y1="${top - 4}" x2="${x(v)}" y2="${plotBottom}" stroke="${color}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x(v) + 3}" y="${plotBottom + 12}" fill="${color}">WASM peak, ${T}T</text>`);
  }
  // Bars.
  results.shapes.forEach((s, i) => {
    const y0 = top + i * groupHeight;
    const values = valuesOf(s);
    out.push(`<text x="${left - 8}" y="${y0 + (SERIES.length * (bar + gap)) / 2}" text-anchor="end" font-weight="bold">${escape(s.name)}</text>`);
    out.push(`<text x="${left - 8}" y="${y0 + (SERIES.length * (bar + gap)) / 2 + 13}" text-anchor="end" fill="#555">${s.gflop.toFixed(3)} GFLOP</text>`);
    SERIES.forEach((series, j) => {
      const v = values[series.key], y = y0 + j * (bar + gap);
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(0.5, x(v) - left).toFixed(1)}" height="${bar}" fill="${series.color}"><title>${escape(`${series.label}: ${v.toFixed(1)} GFLOP/s`)}</title></rect>`);
      out.push(`<text x="${(x(v) + 3).toFixed(1)}" y="${y + bar - 2}" fill="#333" font-size="9">${v.toFixed(1)}</text>`);
    });
  });
  // Legend.
  const ly = plotBottom + 30;
  SERIES.forEach((series, j) => {
    const lx = left + (j % 2) * 280, y = ly + Math.floor(j / 2) * 18;
    out.push(`<rect x="${lx}" y="${y - 9}" width="12" height="10" fill="${series.color}"/>`);
    out.push(`<text x="${lx + 17}" y="${y}">${escape(series.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

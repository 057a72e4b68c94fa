// The benchmark page's settings: their defaults, their check, and their form in the page's address
// (bench.html?threads=2&seconds=0.5&shapes=s1_64c_64px,k5_64c_32px&autostart=1), which is how
// `npm run bench` (bench/browser.mjs) and the browser test drive the page. Light on purpose: the page loads it
// before it decides where the benchmark runs.
import { SHAPES } from '../bench/shapes.mjs';

export const DEFAULT_SETTINGS = {
  threads: 1,
  where: 'worker', // 'worker' | 'main': where both libraries run (see bench.html, "How it measures")
  seconds: 1, // time budget per library and layer: rounds stop once both have had it and minRounds ran
  minRounds: 6,
  maxRounds: 60,
  shapes: SHAPES.map((s) => s.name),
};

/** settings completed with the defaults and checked; a RangeError names what is wrong. */
export function checkSettings(given) {
  const s = { ...DEFAULT_SETTINGS, ...given };
  const integer = (name, lo, hi) => {
    if (!Number.isInteger(s[name]) || s[name] < lo || s[name] > hi) throw new RangeError(`${name} must be an integer from ${lo} to ${hi}, got ${s[name]}`);
  };
  integer('threads', 1, 256);
  integer('minRounds', 1, 1000);
  integer('maxRounds', s.minRounds, 10000);
  if (!['worker', 'main'].includes(s.where)) throw new RangeError(`where must be 'worker' or 'main', got ${s.where}`);
  if (!(typeof s.seconds === 'number' && s.seconds >= 0 && s.seconds <= 600)) throw new RangeError(`seconds must be a number from 0 to 600, got ${s.seconds}`);
  if (!Array.isArray(s.shapes) || !s.shapes.length) throw new RangeError('shapes must name at least one benchmark layer');
  const unknown = s.shapes.filter((name) => !SHAPES.some((shape) => shape.name === name));
  if (unknown.length) throw new RangeError(`unknown layer ${unknown.join(', ')}; the layers are ${SHAPES.map((shape) => shape.name).join(', ')}`);
  return s;
}

const NUMBERS = { threads: 'threads', seconds: 'seconds', rounds: 'minRounds', maxRounds: 'maxRounds' };
const ALWAYS = ['threads']; // the page's own default (this machine's cores) is not DEFAULT_SETTINGS'

/** { settings (only those the address gives), autostart } from a URLSearchParams. */
export function settingsFromQuery(query) {
  const settings = {};
  for (const [param, key] of Object.entries(NUMBERS)) {
    if (query.has(param)) settings[key] = Number(query.get(param));
  }
  if (query.has('where')) settings.where = query.get('where');
  if (query.has('shapes')) settings.shapes = query.get('shapes').split(',').filter(Boolean);
  return { settings, autostart: query.get('autostart') === '1' };
}

/** The query string that gives these settings (and starts at once when autostart). */
export function settingsToQuery(settings, autostart) {
  const query = new URLSearchParams();
  for (const [param, key] of Object.entries(NUMBERS)) {
    if (ALWAYS.includes(key) || settings[key] !== DEFAULT_SETTINGS[key]) query.set(param, String(settings[key]));
  }
  query.set('where', settings.where);
  if (settings.shapes.length !== SHAPES.length) query.set('shapes', settings.shapes.join(','));
  if (autostart) query.set('autostart', '1');
  return query.toString();
}

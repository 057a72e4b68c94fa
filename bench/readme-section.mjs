// Keeps the README's performance section in step with the last run: the text between the two markers
// below is replaced by the chart, the date and machine, and the targets and WebAssembly tables.
export const BEGIN = '<!-- bench:begin (written by npm run bench) -->';
export const END = '<!-- bench:end -->';

/** readme text with the section replaced (or appended, if the markers are missing). */
export function withBenchSection(readme, section) {
  const block = `${BEGIN}\n${section.trim()}\n${END}`;
  const a = readme.indexOf(BEGIN), b = readme.indexOf(END);
  if (a >= 0 && b > a) return readme.slice(0, a) + block + readme.slice(b + END.length);
  return `${readme.trimEnd()}\n\n## Performance\n\n${block}\n`;
}

// The README's examples, as the tests run them: a fenced block that follows a
// `<!-- readme-test: NAME -->` marker. A test that uses a block fails when the
// README changes under it, so the examples cannot drift from what works.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The body of the fenced block after the marker NAME, dedented. */
export function readmeBlock(name: string): string {
  const text = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
  const at = text.indexOf(`<!-- readme-test: ${name} -->`);
  if (at < 0) throw new Error(`README.md has no <!-- readme-test: ${name} --> block`);
  const open = /^([ \t]*)```[a-z]*\n/m.exec(text.slice(at));
  if (!open) throw new Error(`README.md: no fenced block after readme-test ${name}`);
  const indent = open[1]!;
  const start = at + open.index + open[0].length;
  const end = text.indexOf(`${indent}\`\`\``, start);
  return text
    .slice(start, end)
    .split('\n')
    .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
    .join('\n');
}

/** The first JSON fenced block after `heading` text (for the consumer examples, which have no marker of their own). */
export function readmeJsonAfter(heading: string): unknown {
  const text = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`README.md has no "${heading}"`);
  const m = /^([ \t]*)```json\n([\s\S]*?)^\1```/m.exec(text.slice(at));
  if (!m) throw new Error(`README.md: no JSON block after "${heading}"`);
  return JSON.parse(m[2]!);
}

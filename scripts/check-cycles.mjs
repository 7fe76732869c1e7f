#!/usr/bin/env node
// Fails when files under src/ import each other in a circle, type-only imports
// included (the lint's import-x/no-cycle skips those, but a circle of types is
// still two files that cannot be understood, moved or replaced one at a time).
// Part of `npm run lint`.

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = sources(join(root, 'src'));
const edges = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'))
    .filter((target) => existsSync(target));
  edges.set(file, targets);
}

// Tarjan's strongly connected components: every component of more than one file is a circle.
let next = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const circles = [];
function visit(v) {
  index.set(v, next);
  low.set(v, next++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  } while (w !== v);
  if (component.length > 1) circles.push(component);
}
for (const file of files) if (!index.has(file)) visit(file);

if (circles.length === 0) {
  console.log(`check-cycles: ${files.length} files, no import circles`);
} else {
  for (const circle of circles) {
    const names = new Set(circle);
    console.error(`import circle of ${circle.length} files:`);
    for (const file of circle.sort()) {
      const into = edges
        .get(file)
        .filter((t) => names.has(t))
        .map((t) => relative(root, t));
      console.error(`  ${relative(root, file)} -> ${into.join(', ')}`);
    }
  }
  process.exit(1);
}

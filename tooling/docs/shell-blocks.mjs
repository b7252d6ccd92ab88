#!/usr/bin/env node
// The shell code blocks of the docs, and what each is for a newcomer. A block that shows a `pnpm` or `npx`
// command carries a marker on the line before its fence, so that every command the docs show is either run on
// a fresh clone by .ci/newcomers.sh or excused with a reason, in the doc itself rather than in a second list:
//   <!-- newcomers: run -->             every line runs, in order, in the clone after the two commands
//   <!-- newcomers: skip: <reason> -->  not run here, for <reason> (a production URL, a benchmark, Ctrl-C)
// `node tooling/docs/shell-blocks.mjs --run` prints the commands to run, one per line: `<file>:<line>\t<command>`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ignored = new Set(['node_modules', '.git', '.turbo', 'dist', '.data']);
const shellLanguages = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh']);

/** README.md, docs/**, and the README.md of every package, app, tooling folder and bench. */
export function markdownFiles() {
  const files = [path.join(root, 'README.md')];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (ignored.has(entry.name) || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) files.push(full);
    }
  };
  walk(path.join(root, 'docs'));
  for (const group of ['packages', 'apps', 'tooling']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const pkg of fs.readdirSync(dir)) {
      const readme = path.join(dir, pkg, 'README.md');
      if (fs.existsSync(readme)) files.push(readme);
    }
  }
  const bench = path.join(root, 'bench', 'README.md');
  if (fs.existsSync(bench)) files.push(bench);
  return files;
}

/**
 * The shell blocks of one Markdown text (fences marked sh, bash, shell, console, zsh or nothing): the line of
 * the fence (1-based), the block's lines with their own line numbers, and its marker (`run`, `skip` with its
 * reason, or null when the line before the fence carries none).
 */
export function shellBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let block = null;
  let fence = null;
  for (const [i, line] of lines.entries()) {
    const m = /^\s*(```|~~~)\s*([\w-]*)/.exec(line);
    if (m && !fence) {
      fence = m[1];
      if (!shellLanguages.has(m[2].toLowerCase())) continue;
      block = { line: i + 1, lines: [], marker: markerOf(lines[i - 1] ?? '') };
      continue;
    }
    if (m && line.trim().startsWith(fence)) {
      if (block) blocks.push(block);
      block = null;
      fence = null;
      continue;
    }
    if (block) block.lines.push({ line: i + 1, text: line });
  }
  return blocks;
}

function markerOf(line) {
  const m = /^\s*<!--\s*newcomers:\s*(run|skip)\s*(?::\s*(.*?))?\s*-->\s*$/.exec(line);
  if (!m) return null;
  return m[1] === 'run' ? { kind: 'run' } : { kind: 'skip', reason: m[2] ?? '' };
}

/** A line a reader would type: not blank, not a comment. */
export function commandLines(block) {
  return block.lines.filter((l) => l.text.trim() !== '' && !l.text.trim().startsWith('#'));
}

/** Whether a block shows a command that runs pnpm or npx (and so must be run or excused). */
export function showsPnpm(block) {
  return commandLines(block).some((l) => /(?:^|[\s;&|(])(?:pnpm|npx)\s/.test(l.text));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--run') {
  for (const file of markdownFiles()) {
    const rel = path.relative(root, file);
    for (const block of shellBlocks(fs.readFileSync(file, 'utf8'))) {
      if (block.marker?.kind !== 'run') continue;
      for (const l of commandLines(block)) console.log(`${rel}:${l.line}\t${l.text.trim()}`);
    }
  }
}

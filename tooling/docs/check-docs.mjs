#!/usr/bin/env node
// The docs check of `pnpm lint`: in README.md, every package's README.md and docs/, every relative link must
// name a file that exists and, with a #fragment, a heading of that file (GitHub's anchors); and every
// `pnpm <name>` a code block shows must be a root script or a pnpm command, so that what the docs tell a
// reader to run exists; and every shell block showing a `pnpm` or `npx` command carries a newcomers marker
// (shell-blocks.mjs: run on a fresh clone by .ci/newcomers.sh, or skipped with a reason). Prints one line per
// problem and exits 1 if there is any.
import fs from 'node:fs';
import path from 'node:path';
import { commandLines, markdownFiles, root, shellBlocks, showsPnpm } from './shell-blocks.mjs';

/** Text outside fenced code blocks, and the code blocks, of a Markdown file. */
function split(text) {
  const prose = [];
  const code = [];
  let fence = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(```|~~~)/.exec(line);
    if (m) {
      fence = fence ? null : m[1];
      continue;
    }
    (fence ? code : prose).push(line);
  }
  return { prose: prose.join('\n'), code: code.join('\n') };
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const line of split(text).prose.split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const rootScripts = new Set(Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts));
const pnpmCommands = new Set([
  'install',
  'i',
  'add',
  'exec',
  'run',
  'dlx',
  'test',
  '--filter',
  '-F',
  '-C',
  '--dir',
  'turbo',
]);

const problems = [];
const anchorCache = new Map();
for (const file of markdownFiles()) {
  const rel = path.relative(root, file);
  const text = fs.readFileSync(file, 'utf8');
  const { prose, code } = split(text);
  for (const m of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target)) continue;
    const [linkPath, fragment] = target.split('#');
    const dest = linkPath ? path.resolve(path.dirname(file), decodeURIComponent(linkPath)) : file;
    if (!fs.existsSync(dest)) {
      problems.push(`${rel}: the link ${target} names ${path.relative(root, dest)}, which does not exist`);
      continue;
    }
    if (fragment === undefined || fs.statSync(dest).isDirectory()) continue;
    if (!anchorCache.has(dest)) anchorCache.set(dest, anchors(fs.readFileSync(dest, 'utf8')));
    if (!anchorCache.get(dest).has(fragment)) {
      problems.push(`${rel}: the link ${target} names no heading of ${path.relative(root, dest)}`);
    }
  }
  for (const m of code.matchAll(/(?:^|[\s;&|(])pnpm\s+([\w:@.-]+)/gm)) {
    const name = m[1];
    if (!rootScripts.has(name) && !pnpmCommands.has(name)) {
      problems.push(`${rel}: a code block runs "pnpm ${name}", which is neither a root script nor a pnpm command`);
    }
  }
  const blocks = shellBlocks(text);
  for (const block of blocks) {
    if (block.marker?.kind === 'skip' && !block.marker.reason) {
      problems.push(`${rel}:${block.line}: a "newcomers: skip" marker without a reason (newcomers: skip: <why>)`);
    }
    if (block.marker || !showsPnpm(block)) continue;
    const first = commandLines(block).find((l) => /(?:pnpm|npx)\s/.test(l.text));
    problems.push(
      `${rel}:${block.line}: the block showing "${first.text.trim()}" has no <!-- newcomers: run --> or <!-- newcomers: skip: <why> --> line before it`,
    );
  }
  const markers = text.match(/^\s*<!--\s*newcomers:/gm)?.length ?? 0;
  if (markers !== blocks.filter((b) => b.marker).length) {
    problems.push(`${rel}: a <!-- newcomers: ... --> marker is not on the line just before a shell block's fence`);
  }
}
for (const p of problems) console.error(`docs: ${p}`);
if (problems.length === 0)
  console.log(`docs: every link, anchor and pnpm command resolves; every shell block is run or excused`);
process.exit(problems.length ? 1 : 0);

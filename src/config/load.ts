// loadConfig: defaults, then the file, then TRIBUTARY_* env, then flags, each
// deep-merged over the previous one (lists are replaced, not merged).
// Validation is separate (validate.ts) so a reload can load, then validate,
// then swap.

import { resolve as resolvePath } from 'node:path';
import { applySection, isObject, type LoadContext, type Obj } from './apply.js';
import { defaultConfig } from './defaults.js';
import { applyEnv } from './env.js';
import { ConfigError } from './errors.js';
import { readConfigFile } from './file.js';
import { applyFlags, type ConfigFlags } from './flags.js';
import { CONFIG_SCHEMA } from './schema.js';
import type { Config } from './types.js';

/** Used when no file is given; a missing default file is only a warning, as in Centrifugo. */
export const DEFAULT_CONFIG_FILE = 'config.json';

export interface LoadOptions {
  /** Path given by the operator; when it does not exist that is an error. '' reads no file at all. */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
}

export interface LoadResult {
  config: Config;
  warnings: string[];
  /** Absolute path of the file that was read, or null when none was. */
  source: string | null;
}

/**
 * The file's top-level object, or null when there is none to read: '' means
 * "no file" (env and flags only, as in Centrifugo), and a missing default file
 * only warns. A missing file the operator named is an error.
 */
function readFileLayer(options: LoadOptions, ctx: LoadContext): { raw: Obj; source: string } | null {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  if (file === '') return null;
  const raw = readConfigFile(file);
  if (raw === null) {
    if (options.file !== undefined) throw new ConfigError([{ key: file, reason: 'config file not found' }]);
    ctx.warnings.push(`config file ${file} not found; using defaults, environment and flags`);
    return null;
  }
  if (!isObject(raw)) throw new ConfigError([{ key: file, reason: 'the top level of a config file must be an object' }]);
  return { raw, source: resolvePath(file) };
}

/** Builds the config. Throws ConfigError listing every malformed value; unknown keys are warnings. */
export function loadConfig(options: LoadOptions = {}): LoadResult {
  const ctx: LoadContext = { warnings: [], problems: [] };
  const config = defaultConfig();

  const fileLayer = readFileLayer(options, ctx);
  if (fileLayer) applySection(config as unknown as Obj, fileLayer.raw, CONFIG_SCHEMA, 'file', '', ctx);
  applyEnv(config, options.env ?? process.env, ctx);
  applyFlags(config, options.flags ?? {}, ctx);

  if (ctx.problems.length > 0) throw new ConfigError(ctx.problems);
  return { config, warnings: ctx.warnings, source: fileLayer?.source ?? null };
}

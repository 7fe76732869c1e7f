// Reading the config file: JSON or YAML by its extension, anything else tried
// as JSON, then YAML (Centrifugo also reads TOML, which Tributary does not).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { ConfigError } from './errors.js';

const PARSERS: Record<string, (text: string) => unknown> = {
  // An empty file is an empty config, as with viper.
  JSON: (text) => (text.trim() === '' ? {} : JSON.parse(text)),
  // Loaded only for YAML files; `merge` so that `<<: *anchor` works, which YAML configs commonly use.
  YAML: (text) => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, { merge: true }) ?? {},
};

/** The file's top-level value, or null when the file is missing. Throws ConfigError on unreadable or unparsable files. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError([{ key: file, reason: `cannot read config file: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}

/**
 * The YAML parser takes seconds to fail on flow collections nested some
 * thousands deep (`[[[[…`), and no config nests more than a few levels
 * (loadConfig refuses anything past 100): such text is refused before it
 * is parsed. Brackets inside quotes and comments do not count.
 */
const MAX_FLOW_DEPTH = 100;

function flowDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      for (i++; i < text.length && text[i] !== c; i++) if (c === '"' && text[i] === '\\') i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return true;
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return false;
}

/** A config file's text as its top-level value; the file's name picks the format. Throws ConfigError. */
export function parseConfigText(text: string, file: string): unknown {
  const fail = (reason: string) => new ConfigError([{ key: file, reason }]);
  const ext = extname(file).toLowerCase();
  if (ext === '.toml') throw fail('TOML config files are not supported; convert it to JSON or YAML');
  const formats = ext === '.json' ? ['JSON'] : ext === '.yaml' || ext === '.yml' ? ['YAML'] : ['JSON', 'YAML'];
  let error: unknown;
  for (const format of formats) {
    if (format === 'YAML' && flowDepthExceeds(text, MAX_FLOW_DEPTH)) {
      error = new Error(`brackets nested deeper than ${MAX_FLOW_DEPTH} levels`);
      continue;
    }
    try {
      return PARSERS[format]!(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      error = err;
    }
  }
  throw fail(`invalid ${formats.length > 1 ? 'config (tried JSON and YAML)' : formats[0]}: ${(error as Error).message}`);
}

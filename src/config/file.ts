// Reading the config file. JSON and YAML; the format comes from the extension,
// and anything else is tried as JSON, then YAML (Centrifugo also reads TOML,
// which we do not).

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';

/** The file's top-level value, or null when the file is missing. Throws ConfigError on unreadable/unparsable files. */
export function readConfigFile(file: string): unknown | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError([{ key: file, reason: `cannot read config file: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}

function parseJson(text: string): unknown {
  // An empty file is an empty config, as with viper.
  return text.trim() === '' ? {} : JSON.parse(text);
}

function parseYamlText(text: string): unknown {
  // `merge` so that `<<: *anchor` works, which YAML configs commonly use.
  return parseYaml(text, { merge: true }) ?? {};
}

export function parseConfigText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const ext = extname(file).toLowerCase();
  const fail = (format: string, err: unknown): never => {
    throw new ConfigError([{ key: file, reason: `invalid ${format}: ${(err as Error).message}` }]);
  };
  if (ext === '.toml') {
    throw new ConfigError([{ key: file, reason: 'TOML config files are not supported; convert it to JSON or YAML' }]);
  }
  if (ext === '.json') {
    try {
      return parseJson(body);
    } catch (err) {
      return fail('JSON', err);
    }
  }
  if (ext === '.yaml' || ext === '.yml') {
    try {
      return parseYamlText(body);
    } catch (err) {
      return fail('YAML', err);
    }
  }
  try {
    return parseJson(body);
  } catch {
    try {
      return parseYamlText(body);
    } catch (err) {
      return fail('config (tried JSON and YAML)', err);
    }
  }
}

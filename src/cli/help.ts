// What `tributary help`, `tributary help <command>` and `<command> --help`
// print. Each command says its own flags; the config flags come from the
// schema, so a new flagged option shows up here without an edit.

import { metaOf, type FieldMeta } from '../config/fields.js';
import { CONFIG } from '../config/schema.js';

export interface ConfigFlag {
  key: string;
  bool: boolean;
  short?: string;
  doc: string;
}

/** The config keys the schema marks as flags: `--<dotted.key>`, some with a one-letter alias. */
function configFlags(meta: FieldMeta = metaOf(CONFIG), path = ''): ConfigFlag[] {
  if (meta.kind === 'section') return Object.entries(meta.shape).flatMap(([key, field]) => configFlags(metaOf(field), path ? `${path}.${key}` : key));
  if (meta.kind === 'list' || !meta.flag) return [];
  return [{ key: path, bool: meta.kind === 'bool', short: typeof meta.flag === 'string' ? meta.flag : undefined, doc: meta.doc }];
}
export const CONFIG_FLAGS = configFlags();

interface CommandHelp {
  /** As typed: `config schema` is two words. */
  name: string;
  summary: string;
  /** Flags of this command alone, as [flag, what it does]. */
  flags?: [string, string][];
  /** Reads the config file (and env, and the config flags). */
  loadsConfig?: boolean;
  /** A line or two for `--help` beyond the summary. */
  more?: string;
}

const OUTBOX_TABLE_FLAGS: [string, string][] = [
  ['--dsn DSN', 'PostgreSQL connection string, postgres://user:password@host:5432/database'],
  ['--table NAME', 'outbox table (default outbox)'],
  ['--dead-letter-table NAME', 'dead-letter table (default <table>_dead_letter)'],
];

const COMMANDS: CommandHelp[] = [
  { name: 'serve', summary: 'run the server (the default command)', loadsConfig: true },
  {
    name: 'checkconfig',
    summary: 'load and validate the config file, then exit',
    loadsConfig: true,
    more: 'Exits 1 and lists every problem when the config is invalid.',
  },
  {
    name: 'genconfig',
    summary: 'write a new config file with random secrets',
    flags: [['-c, --config FILE', 'where to write it (default config.json); an existing file is never overwritten']],
  },
  { name: 'defaultconfig', summary: 'print every option with its default, as a JSON config file' },
  { name: 'config schema', summary: 'print the JSON Schema of the config file (for editors)' },
  {
    name: 'gentoken',
    summary: 'print a connection JWT signed with client.token.hmac_secret_key',
    loadsConfig: true,
    flags: [
      ['-u, --user USER', 'the sub claim (default: anonymous)'],
      ['-t, --ttl SECONDS', 'lifetime (default 604800, a week)'],
    ],
  },
  {
    name: 'gensubtoken',
    summary: 'print a subscription JWT for one channel',
    loadsConfig: true,
    flags: [
      ['-u, --user USER', 'the sub claim (default: anonymous)'],
      ['-s, --channel CHANNEL', 'the channel claim (required)'],
      ['-t, --ttl SECONDS', 'lifetime (default 604800, a week)'],
    ],
  },
  { name: 'version', summary: 'print the version (also: --version)' },
  {
    name: 'migrate',
    summary: 'create or update an outbox table, its index, NOTIFY trigger and dead-letter table',
    flags: [
      ...OUTBOX_TABLE_FLAGS,
      ['--channel NAME', 'NOTIFY channel (default centrifugo_partition_change)'],
      ['--print', 'print the SQL instead of running it (no --dsn needed)'],
    ],
  },
  {
    name: 'outbox status',
    summary: 'print per-partition backlog, lag and dead-letter count of an outbox table',
    flags: [...OUTBOX_TABLE_FLAGS, ['--json', 'as JSON']],
  },
  { name: 'help', summary: 'print this help, or one command’s: help COMMAND (also: COMMAND --help)' },
];

/** The first word of every command. */
export const COMMAND_WORDS = new Set(COMMANDS.map((c) => c.name.split(' ')[0]!));

const line = (flag: string, doc: string): string => `  ${flag}`.padEnd(44) + doc;
const CONFIG_FILE_FLAG = line('-c, --config FILE', 'config file, JSON or YAML (default config.json)');
const configFlagLines = (): string =>
  CONFIG_FLAGS.map((f) => line(`${f.short ? `-${f.short}, ` : '    '}--${f.key}${f.bool ? '' : ' VALUE'}`, f.doc)).join('\n');

export function generalUsage(): string {
  return `Usage: tributary [command] [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join('\n')}

Flags of the commands that read the config (serve, checkconfig, gentoken, gensubtoken):
${CONFIG_FILE_FLAG}
${configFlagLines()}
  -h, --help                                this help
      --version                             print the version

Environment: every option also reads TRIBUTARY_<KEY> (and Centrifugo's CENTRIFUGO_<KEY>);
flags win over the environment, which wins over the file.
Run 'tributary help COMMAND' for one command's flags.
`;
}

/** The help of one command, or undefined when there is no such command. */
export function commandUsage(name: string): string | undefined {
  const c = COMMANDS.find((x) => x.name === name);
  if (!c) return undefined;
  const flags = [...(c.flags ?? []).map(([f, d]) => line(f, d))];
  if (c.loadsConfig) flags.push(CONFIG_FILE_FLAG, configFlagLines());
  flags.push(line('-h, --help', 'this help'));
  return `Usage: tributary ${c.name}${flags.length > 1 ? ' [flags]' : ''}

${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.${c.more ? `\n${c.more}` : ''}

Flags:
${flags.join('\n')}
`;
}

// Public surface of the config capability.

export type * from './types.js';
export { ConfigError, type ConfigProblem } from './errors.js';
export { parseDuration, durationToMs, formatDuration } from './duration.js';
export { defaultConfig, defaultChannelOptions } from './defaults.js';
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadOptions, type LoadResult } from './load.js';
export type { ConfigFlags } from './flags.js';
export { nameForEnv, ENV_PREFIX } from './env.js';
export { validateConfig, NAMESPACE_NAME_PATTERN, CONSUMER_NAME_PATTERN } from './validate.js';
export {
  ChannelResolver,
  channelTooLong,
  validClientChannelName,
  personalChannel,
  effectiveHistoryMetaTtl,
  type ResolvedChannel,
} from './channels.js';
export { generateConfig, type GeneratedConfig } from './generate.js';
export { compileGoRegex } from './regex.js';

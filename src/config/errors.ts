// One error type for every configuration problem, so the CLI can print all
// of them at once instead of making the operator fix them one run at a time.

export interface ConfigProblem {
  /** Dotted config key, e.g. `channel.namespaces[1].name`, or an env var / file name. */
  key: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.key}: ${p.reason}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// What answers one survey op on one node (e.g. channels-survey.ts). Apart
// from the control plane, so a handler depends only on this contract and the
// control plane runs handlers it knows nothing else about.

/** Answers one survey op on one node. The result must be plain JSON data: it crosses nodes as JSON. */
export type SurveyHandler = (data: unknown) => unknown;

/** Thrown by a survey handler to answer with a specific code (e.g. invalid request). */
export class SurveyError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'SurveyError';
  }
}

/** A survey addressed to a node that is not in the registry (never was, or left). */
export class NodeNotFound extends Error {
  constructor(readonly uid: string) {
    super(`node ${uid} not found`);
    this.name = 'NodeNotFound';
  }
}

/** A survey addressed to one node that got no answer within the survey timeout. */
export class SurveyTimeout extends Error {
  constructor(readonly uid: string) {
    super(`node ${uid} did not answer the survey in time`);
    this.name = 'SurveyTimeout';
  }
}

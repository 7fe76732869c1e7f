// Server API errors. The dispatcher turns every failure into one of these so
// the HTTP handler, the batch method and the consumers see the same codes.

import { ApiErrors } from '../protocol/codes.js';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static of(e: { code: number; message: string }): ApiError {
    return new ApiError(e.code, e.message);
  }

  toJSON(): { code: number; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** The request could not be decoded at all (wrong JSON types): HTTP 400 in Centrifugo. */
export class ApiDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiDecodeError';
  }
}

/**
 * Whether a caller (a consumer) should try the same request again later.
 * Only internal errors are: a bad request or an unknown channel will fail
 * the same way forever.
 */
export function isRetryableApiError(code: number): boolean {
  return code === ApiErrors.internal.code;
}

// Token verification outcomes that callers map to protocol codes: an invalid
// token ends the connection (3500) or fails a subscribe (103), while an expired
// one asks the client to fetch a fresh token (109). Keeping only these two kinds
// stops callers from branching on jose's many error classes.

export type TokenErrorKind = 'invalid' | 'expired';

export class TokenError extends Error {
  override readonly name = 'TokenError';

  constructor(
    readonly kind: TokenErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function invalidToken(message: string, cause?: unknown): TokenError {
  return new TokenError('invalid', message, cause === undefined ? undefined : { cause });
}

export function expiredToken(message: string): TokenError {
  return new TokenError('expired', message);
}

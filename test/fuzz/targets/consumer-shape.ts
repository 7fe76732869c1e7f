// The one path every consumed message takes after its own decoding:
// consumeCommand (consumers/command.ts), which must never throw: whatever a
// message holds ends as ok, dead (dead-lettered, with a reason) or retry.

import { consumeCommand } from '../../../src/consumers/command.js';
import { stubDispatcher, takeMethodFailure } from '../stub-node.js';
import { check } from '../target.js';

export async function consume(method: string, text: string, idempotencyKey?: string): Promise<void> {
  const outcome = await consumeCommand(stubDispatcher(), method, text, { idempotencyKey, onChannelError: () => undefined });
  // A method that threw was answered with an internal error, which a consumer retries forever.
  const failure = takeMethodFailure();
  if (failure !== undefined) throw failure;
  check(['ok', 'dead', 'retry'].includes(outcome.kind), `outcome ${String(outcome.kind)}`);
  if (outcome.kind !== 'ok') check(typeof outcome.error === 'string', 'a failed outcome must say why');
  // The dispatcher answers every failure of a request; an exception that got past it is a bug of ours.
  if (outcome.kind === 'retry') check(!outcome.error.startsWith('dispatch failed'), `an exception escaped the dispatcher: ${outcome.error}`);
}

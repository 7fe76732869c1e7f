// Bytes that are kept for a long time (history, a connection's info) must not
// be views into a larger shared memory block. Node hands small Buffers out as
// slices of 8 KB pool slabs, and a socket read or a decoded message as slices
// of the whole chunk: one 50-byte publication kept in history then holds its
// whole slab, with everything else allocated there, for as long as history
// keeps it. Measured in the soak (10,000 connections, 1,000 channels with
// history): about 15 MB of slabs held by history entries, with the malloc
// fragmentation that follows.

/** `bytes` itself when it has its memory to itself, else a copy that does. */
export function ownedBytes(bytes: Buffer): Buffer {
  if (bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const own = Buffer.allocUnsafeSlow(bytes.byteLength);
  bytes.copy(own);
  return own;
}

/** ownedBytes for an optional field. */
export function ownedBytesOrUndefined(bytes: Buffer | undefined): Buffer | undefined {
  return bytes === undefined ? undefined : ownedBytes(bytes);
}

/** The UTF-8 bytes of `text` in memory of their own: what Buffer.from would give, minus the slab. */
export function ownedUtf8(text: string): Buffer {
  const own = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  own.write(text, 'utf8');
  return own;
}

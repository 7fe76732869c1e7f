// The one error both client-protocol decoders (JSON and Protobuf) throw for a
// malformed client message; the session answers it with disconnect 3501. It
// sits beside the codecs rather than in either one, so neither depends on the
// other.

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

// Frames shared by every subscriber of one broadcast: each is encoded at most
// once per protocol, on first use, however many subscribers take it. A
// publication also offers the two forms fossil-delta subscribers need, the
// patch being computed once per channel per publication.

import { createDelta } from 'fossil-delta';
import { JsonStringData, type Frame, type ProtocolCodec, type PushKind } from '../protocol/codec.js';
import { encodePublicationJson } from '../protocol/json/frames.js';
import { isJsonSafePayload } from '../protocol/json/raw-json.js';
import type { ClientInfo, Publication } from '../protocol/types.js';
import { clientInfoValue, publicationValue } from '../protocol/values.js';

export class SharedFrame {
  private json: Frame | null | undefined;
  private protobuf: Frame | undefined;
  /** The one derived form in use (unidirectional JSON), from the base codec's frame. */
  private derived: Frame | null | undefined;
  private value: Record<string, unknown> | undefined;

  constructor(
    private readonly channel: string,
    private readonly kind: PushKind,
    private readonly body: () => Record<string, unknown>,
    /** Whether a JSON connection can carry this frame (valid JSON payloads). */
    private readonly jsonOk: () => boolean,
    /** The body's JSON text, when it can be written without the value object (publications). */
    private readonly bodyJson?: () => string,
  ) {}

  /** The frame in this codec's format, or null when a JSON connection must not get it (3506). */
  for(codec: ProtocolCodec): Frame | null {
    if (codec.derived !== undefined) {
      if (this.derived === undefined) {
        const base = this.for(codec.derived.base);
        this.derived = base === null ? null : codec.derived.convert(base);
      }
      return this.derived;
    }
    if (codec.name === 'json') {
      if (this.json === undefined) this.json = this.jsonOk() ? this.encodeJson(codec) : null;
      return this.json;
    }
    return (this.protobuf ??= codec.encodePush(this.channel, this.kind, this.bodyValue()));
  }

  private encodeJson(codec: ProtocolCodec): Frame {
    if (this.bodyJson && codec.encodePushJson) return codec.encodePushJson(this.channel, this.kind, this.bodyJson());
    return codec.encodePush(this.channel, this.kind, this.bodyValue());
  }

  private bodyValue(): Record<string, unknown> {
    return (this.value ??= this.body());
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A client's info payloads (no rest parameter: this runs once per publication). */
function payloadsJsonSafe(connInfo: Buffer | undefined, chanInfo: Buffer | undefined): boolean {
  return (connInfo === undefined || isJsonSafePayload(connInfo)) && (chanInfo === undefined || isJsonSafePayload(chanInfo));
}

export function joinLeaveFrame(channel: string, kind: 'join' | 'leave', info: ClientInfo): SharedFrame {
  return new SharedFrame(
    channel,
    kind,
    () => ({ info: clientInfoValue(info) }),
    () => payloadsJsonSafe(info.connInfo, info.chanInfo),
  );
}

export class PublicationFrames {
  /** What subscribers without delta get: the payload as it is. */
  readonly plain: SharedFrame;
  private full: SharedFrame | undefined;
  private patch: SharedFrame | null | undefined;
  private safe: boolean | undefined;

  constructor(
    readonly channel: string,
    readonly pub: Publication,
    readonly epoch: string,
    /** The previous publication, present only when this one was published with delta. */
    private readonly prev: Publication | undefined,
  ) {
    // Go attaches the epoch to the offset-1 publication so clients learn a new stream generation.
    const epochField = pub.offset === 1 ? epoch : undefined;
    this.plain = new SharedFrame(
      channel,
      'pub',
      () => publicationValue(pub, epochField),
      () => this.jsonSafe(),
      () => encodePublicationJson(pub, epochField),
    );
  }

  /** Offset of the publication a patch applies to, or -1 when there is no patch base. */
  get baseOffset(): number {
    return this.prev ? this.prev.offset : -1;
  }

  /** Full data in the delta subscribers' form (a JSON string in JSON), `delta: false`. */
  deltaFull(): SharedFrame {
    return (this.full ??= new SharedFrame(
      this.channel,
      'pub',
      () => publicationValue(this.pub, this.pub.offset === 1 ? this.epoch : undefined, new JsonStringData(this.pub.data)),
      () => this.jsonSafe(),
      () => encodePublicationJson(this.pub, this.pub.offset === 1 ? this.epoch : undefined, new JsonStringData(this.pub.data)),
    ));
  }

  /**
   * The fossil patch from the previous publication, or null when there is no
   * base or the patch would not be smaller than the data. In JSON the patch
   * travels as a string, so a patch that is not valid UTF-8 (a literal cut
   * inside a multi-byte character) is refused there and the subscriber gets
   * the full form instead.
   */
  deltaPatch(): SharedFrame | null {
    if (this.patch !== undefined) return this.patch;
    this.patch = null;
    if (!this.prev || this.prev.offset !== this.pub.offset - 1) return null;
    const patchBytes = Buffer.from(createDelta(this.prev.data, this.pub.data));
    if (patchBytes.length >= this.pub.data.length) return null;
    const utf8 = isUtf8(patchBytes);
    this.patch = new SharedFrame(
      this.channel,
      'pub',
      () => publicationValue(this.pub, undefined, new JsonStringData(patchBytes), true),
      () => utf8 && this.jsonSafe(),
      () => encodePublicationJson(this.pub, undefined, new JsonStringData(patchBytes), true),
    );
    return this.patch;
  }

  private jsonSafe(): boolean {
    const pub = this.pub;
    return (this.safe ??= (pub.jsonData === true || isJsonSafePayload(pub.data)) && payloadsJsonSafe(pub.info?.connInfo, pub.info?.chanInfo));
  }
}

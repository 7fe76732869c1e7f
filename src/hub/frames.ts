// Frames shared by every subscriber of one broadcast: each is encoded at most
// once per protocol, on first use, however many subscribers take it. A
// publication also offers the two forms fossil-delta subscribers need, the
// patch being computed once per channel per publication.

import { createDelta } from 'fossil-delta';
import { JsonStringData, type Frame, type ProtocolCodec, type PushKind } from '../protocol/codec.js';
import { isJsonSafePayload } from '../protocol/json/raw-json.js';
import type { ClientInfo, Publication } from '../protocol/types.js';
import { clientInfoValue, publicationValue } from '../protocol/values.js';

/**
 * One push, encoded at most once per protocol. Subclasses say what the push
 * is (as a value, and whether a JSON connection may carry it); as classes
 * rather than closures, a publication's frame costs one object.
 */
export abstract class SharedFrame {
  private json: Frame | null | undefined;
  private protobuf: Frame | undefined;
  /** The one derived form in use (unidirectional JSON), from the base codec's frame. */
  private derived: Frame | null | undefined;
  private value: Record<string, unknown> | undefined;

  constructor(
    readonly channel: string,
    readonly kind: PushKind,
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

  /** The push body as a protocol value (see codec.ts). */
  protected abstract body(): Record<string, unknown>;

  /** Whether a JSON connection can carry this frame (valid JSON payloads). */
  protected abstract jsonOk(): boolean;

  protected encodeJson(codec: ProtocolCodec): Frame {
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

class JoinLeaveFrame extends SharedFrame {
  constructor(
    channel: string,
    kind: 'join' | 'leave',
    private readonly info: ClientInfo,
  ) {
    super(channel, kind);
  }

  protected body(): Record<string, unknown> {
    return { info: clientInfoValue(this.info) };
  }

  protected jsonOk(): boolean {
    return payloadsJsonSafe(this.info.connInfo, this.info.chanInfo);
  }
}

export function joinLeaveFrame(channel: string, kind: 'join' | 'leave', info: ClientInfo): SharedFrame {
  return new JoinLeaveFrame(channel, kind, info);
}

/** Writes a publication's push with the data given (the full data as a JSON string, or a patch), not as published. */
class ReplacedDataFrame extends SharedFrame {
  constructor(
    private readonly frames: PublicationFrames,
    private readonly epochField: string | undefined,
    private readonly data: JsonStringData,
    private readonly delta: boolean,
    /** False for a patch that is not valid UTF-8: JSON cannot carry it. */
    private readonly utf8: boolean,
  ) {
    super(frames.channel, 'pub');
  }

  protected body(): Record<string, unknown> {
    return publicationValue(this.frames.pub, this.epochField, this.data, this.delta);
  }

  protected jsonOk(): boolean {
    return this.utf8 && this.frames.jsonSafe();
  }

  protected override encodeJson(codec: ProtocolCodec): Frame {
    if (codec.encodePublicationPush) return codec.encodePublicationPush(this.channel, this.frames.pub, this.epochField, this.data, this.delta);
    return super.encodeJson(codec);
  }
}

/**
 * A publication's frames. The object is itself the frame for subscribers
 * without delta (the payload as it is), so a broadcast allocates one object
 * per publication; the two forms fossil-delta subscribers need are made on
 * first use.
 */
export class PublicationFrames extends SharedFrame {
  private full: SharedFrame | undefined;
  private patch: SharedFrame | null | undefined;
  private safe: boolean | undefined;

  constructor(
    channel: string,
    readonly pub: Publication,
    readonly epoch: string,
    /** The previous publication, present only when this one was published with delta. */
    private readonly prev: Publication | undefined,
  ) {
    super(channel, 'pub');
  }

  /** What subscribers without delta get: the payload as it is. */
  get plain(): SharedFrame {
    return this;
  }

  /** Offset of the publication a patch applies to, or -1 when there is no patch base. */
  get baseOffset(): number {
    return this.prev ? this.prev.offset : -1;
  }

  /** Full data in the delta subscribers' form (a JSON string in JSON), `delta: false`. */
  deltaFull(): SharedFrame {
    return (this.full ??= new ReplacedDataFrame(this, this.epochField(), new JsonStringData(this.pub.data), false, true));
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
    this.patch = new ReplacedDataFrame(this, undefined, new JsonStringData(patchBytes), true, isUtf8(patchBytes));
    return this.patch;
  }

  /** Whether the publication's payloads can travel in JSON. */
  jsonSafe(): boolean {
    const pub = this.pub;
    return (this.safe ??= (pub.jsonData === true || isJsonSafePayload(pub.data)) && payloadsJsonSafe(pub.info?.connInfo, pub.info?.chanInfo));
  }

  protected body(): Record<string, unknown> {
    return publicationValue(this.pub, this.epochField());
  }

  protected jsonOk(): boolean {
    return this.jsonSafe();
  }

  protected override encodeJson(codec: ProtocolCodec): Frame {
    if (codec.encodePublicationPush) return codec.encodePublicationPush(this.channel, this.pub, this.epochField());
    return super.encodeJson(codec);
  }

  /** Go attaches the epoch to the offset-1 publication so clients learn a new stream generation. */
  private epochField(): string | undefined {
    return this.pub.offset === 1 ? this.epoch : undefined;
  }
}

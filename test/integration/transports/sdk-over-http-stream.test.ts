// The official SDK's WebSocket suites again, with the SDK on its http_stream
// transport: JSON and Protobuf streams, every later command through /emulation.
import { useSdkTransport } from '../../helpers/sdk.js';

useSdkTransport('http_stream');
await import('../sdk-smoke.test.js');
await import('../sdk-features.test.js');
await import('../sdk-recovery.test.js');
await import('../sdk-tokens.test.js');
await import('../sdk-delta.test.js');
await import('../sdk-protobuf.test.js');

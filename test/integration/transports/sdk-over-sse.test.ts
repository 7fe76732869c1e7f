// The official SDK's WebSocket suites again, with the SDK on its sse
// transport (EventSource from the `eventsource` package). SSE is JSON only,
// so the Protobuf suite is not among them.
import { useSdkTransport } from '../../helpers/sdk.js';

useSdkTransport('sse');
await import('../sdk-smoke.test.js');
await import('../sdk-features.test.js');
await import('../sdk-recovery.test.js');
await import('../sdk-tokens.test.js');
await import('../sdk-delta.test.js');

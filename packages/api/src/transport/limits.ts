/** What one client connection may ask of a server process at once. */
export interface TransportLimits {
  /** Calls one HTTP request or one WebSocket frame may batch together. */
  maxBatchCalls: number;
  /** Subscriptions one WebSocket may hold at once. */
  maxSubscriptionsPerSocket: number;
  /** Calls one WebSocket may have running at once; further calls are refused until one ends. */
  maxCallsInFlightPerSocket: number;
  /** Bytes waiting to be sent to one WebSocket, past which it is closed (it stopped reading). */
  maxSocketBufferedBytes: number;
  /**
   * Calls one caller (user, or address when signed out) may have running at once in this
   * process, over every connection; further calls wait their turn (fair-share.ts).
   */
  maxCallsRunningPerCaller: number;
}

export const defaultTransportLimits: TransportLimits = {
  maxBatchCalls: 50,
  maxSubscriptionsPerSocket: 10,
  maxCallsInFlightPerSocket: 32,
  maxSocketBufferedBytes: 1024 * 1024,
  maxCallsRunningPerCaller: 4,
};

/** A message as a receiving socket saw it; only what the load generator needs to match it up. */
export interface DeliveredMessage {
  clientId: string;
}

export interface LiveConnection {
  close: () => void;
}

export interface SendInput {
  conversationId: string;
  clientId: string;
  body: string;
}

/**
 * How the load generator talks to a server under test. Parley is spoken to over its real wire
 * protocol (tRPC over HTTP and WebSocket), the baseline over its own minimal one.
 */
export interface ChatProtocol {
  readonly name: "parley" | "baseline";
  /** Opens an authenticated WebSocket with a live subscription; resolves once the server confirms it. */
  subscribe: (
    serverUrl: string,
    token: string,
    onMessage: (message: DeliveredMessage) => void,
  ) => Promise<LiveConnection>;
  /** Resolves once the server acknowledged the committed message. */
  send: (serverUrl: string, token: string, input: SendInput) => Promise<void>;
  /** One history page; resolves with the number of messages in it. */
  history: (
    serverUrl: string,
    token: string,
    input: { conversationId: string; beforeSeq?: number; limit: number },
  ) => Promise<number>;
}

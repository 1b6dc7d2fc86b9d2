export { appRouter, type AppRouter } from "./root";
export { createContext, createCallerFactory, sessionCookieName, type Context } from "./trpc";
export type { ParleyConfig, ParleyServices } from "./services";
export { startServices, type StartServicesOptions } from "./start-services";
export { createFetchHandler, clientAddressHeader, trpcEndpoint } from "./transport/http";
export { createNodeRequestListener } from "./transport/node";
export { createClientAddressResolver, type ClientAddressResolver } from "./transport/client-address";
export { serveMetrics, type MetricsServer, type ParleyMetrics } from "./metrics";
export { createWebSocketTransport, webSocketCloseCodes, type WebSocketTransport } from "./transport/websocket";
export { defaultTransportLimits, type TransportLimits } from "./transport/limits";
export { isOriginAllowed } from "./origin";
export type { Logger } from "./logger";
export { turnCredential, type CallConfig, type TurnConfig } from "./realtime/ice-servers";
export type * from "./domain/views";
export type { MessageSearchPage, MessageSearchResult } from "./domain/search";
export type { ForwardResult } from "./domain/messages";
export type {
  ConversationEvent,
  DurableEvent,
  EphemeralEvent,
  StreamEvent,
  StreamReadyEvent,
  UserEvent,
} from "./events/types";

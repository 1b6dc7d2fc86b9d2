import type { IncomingMessage, ServerResponse } from "node:http";

/** Largest request body the server accepts (the tRPC fetch handler enforces the same bound). */
export const maxRequestBodyBytes = 256 * 1024;

function reject(response: ServerResponse, status: 411 | 413, code: string, message: string): void {
  // The shape of a tRPC error, so clients report it like any other.
  const body = JSON.stringify({ error: { message, code: -32600, data: { code, httpStatus: status } } });
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    // Closing the connection spares Node from reading (and discarding) the unwanted body.
    connection: "close",
  });
  response.end(body);
}

/**
 * Bounds request bodies before anything buffers them. Node's parser stops a body at its
 * declared Content-Length, so a declared length within the limit bounds the bytes read; a
 * chunked body declares none and is refused with 411 (tRPC clients always send a length).
 * Returns false when it has answered the request.
 */
export function enforceRequestBodyLimit(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.headers["transfer-encoding"] !== undefined) {
    reject(response, 411, "LENGTH_REQUIRED", "Send the request body with a Content-Length");
    return false;
  }
  const declaredLength = Number(request.headers["content-length"] ?? "0");
  if (declaredLength > maxRequestBodyBytes) {
    reject(response, 413, "PAYLOAD_TOO_LARGE", `Request body too large (limit ${maxRequestBodyBytes} bytes)`);
    return false;
  }
  return true;
}

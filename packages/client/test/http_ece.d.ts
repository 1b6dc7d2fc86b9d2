/** The part of http_ece (web-push's own payload encryption) the push tests decrypt with. */
declare module "http_ece" {
  import type { ECDH } from "node:crypto";

  interface DecryptParameters {
    version: "aes128gcm";
    privateKey: ECDH;
    authSecret: string;
  }
  const ece: { decrypt: (buffer: Buffer, parameters: DecryptParameters) => Buffer };
  export default ece;
}

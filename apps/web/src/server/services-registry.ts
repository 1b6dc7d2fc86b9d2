/**
 * Hands the one services instance that server.ts starts to the Next.js route handler.
 *
 * Next.js bundles route handlers separately from server.ts, so a module-level variable would
 * exist once per bundle; `globalThis` under a registered symbol is the same object for both.
 */
import type { ParleyServices } from "@parley/api";

const registryKey = Symbol.for("parley.services");

type GlobalWithRegistry = typeof globalThis & { [registryKey]?: ParleyServices };

export function registerServices(services: ParleyServices): void {
  const registry = globalThis as GlobalWithRegistry;
  if (registry[registryKey] && registry[registryKey] !== services) {
    throw new Error("Parley services are already registered in this process");
  }
  registry[registryKey] = services;
}

export function unregisterServices(): void {
  delete (globalThis as GlobalWithRegistry)[registryKey];
}

/** The process's services; throws outside server.ts (for example under a bare `next start`). */
export function getRegisteredServices(): ParleyServices {
  const services = (globalThis as GlobalWithRegistry)[registryKey];
  if (!services) {
    throw new Error(
      "Parley services are not running in this process: start the app with server.ts (npm start or npm run dev), not `next start` or `next dev`",
    );
  }
  return services;
}

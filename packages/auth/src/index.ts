export { throttledNetwork } from "./client-address";
export { systemClock } from "./clock";
export type { Clock } from "./clock";

export { checkPasswordPolicy, passwordMaxLength, passwordMinLength } from "./password-policy";
export type { PasswordPolicyContext } from "./password-policy";
export {
  argon2MemoryCostKibibytes,
  argon2Parallelism,
  argon2TimeCostPasses,
  dummyPasswordHash,
  hashPassword,
  verifyPassword,
} from "./password";

export { generateSessionToken, parseSessionToken } from "./session-token";
export type { ParsedSessionToken } from "./session-token";
export {
  createSession,
  deleteExpiredSessions,
  invalidateSession,
  invalidateUserSessions,
  listUserSessions,
  sessionAbsoluteLifetimeSeconds,
  sessionActivityCheckIntervalSeconds,
  sessionInactivityTimeoutSeconds,
  validateSessionToken,
} from "./session";
export type {
  CreatedSession,
  CreateSessionInput,
  InvalidateUserSessionsOptions,
  SessionInfo,
  SessionUser,
  SessionValidation,
} from "./session";

export { createSessionCache, sessionCacheMaxAgeSeconds } from "./session-cache";
export type { SessionCache, SessionCacheOptions } from "./session-cache";

export {
  accountAddressFreeFailures,
  addressFreeFailures,
  checkLoginAllowed,
  deleteStaleLoginThrottles,
  loginFailureMemorySeconds,
  loginFirstDelaySeconds,
  loginMaxDelaySeconds,
  recordLoginFailure,
  recordLoginSuccess,
} from "./login-throttle";
export type { LoginAttempt, LoginGate } from "./login-throttle";

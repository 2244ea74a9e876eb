export { addressMatcher, buildApp, correlationIdOf, routesOf, STREAM_HANDLER_TIMEOUT_MS, type AppOptions, type HttpApp, type RateLimitOptions, type RegisteredRoute, type ServiceAppOptions } from "./app";
export { AccessSample } from "./access-log";
export {
  DEFAULT_MAX_TOKEN_LIFETIME_S,
  DEFAULT_TOKEN_CACHE_BYTES,
  DEV_AUDIENCE,
  DEV_AUTH_SECRET,
  DEV_ISSUER,
  MAX_SUBJECT_LENGTH,
  MAX_TOKEN_LENGTH,
  TokenCache,
  TokenClaims,
  bearerToken,
  claimsOfActor,
  createTokenVerifier,
  isCompactJws,
  requireActor,
  signDevToken,
  type AuthConfig,
  type DevTokenOptions,
  type TokenVerifier,
} from "./auth";
export { isDraining, markDraining, type ReadinessCheck } from "./health";
export type { OverloadOptions, RouteOverload } from "./overload";
export {
  httpMigrations,
  purgeExpiredIdempotencyKeys,
  sendResponse,
  type BodySerializer,
  type IdempotencyOptions,
  type ResponseValue,
  type TransactionalKey,
} from "./idempotency";
export {
  HttpErrorCodes,
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  categoryStatus,
  invalidParamsOf,
  requestFieldOf,
  toProblem,
  type HttpErrorCode,
  type Problem,
  type RequestPart,
} from "./problems";
export { closeGracefully, closeOnSignals, type ShutdownOptions, type ShutdownStep } from "./shutdown";
export { completeOpenApi, operationIdOf, type OpenApiCompletion } from "./openapi";
export { describingDeps, openApiText, type DescribingDeps } from "./openapi-document";

/** Public surface of the Copass client folder: the client, its contract, errors, policy, wire types. */
export { CopassClient } from "./client";
export { checkApiUrl, isLoopbackHost } from "./url";
export type { AttemptEvent, CallOptions, CopassApi, CopassClientOptions, RetryOptions } from "./api";
export * from "./errors";
export * from "./call-errors";
export {
  DEFAULT_RETRY_POLICY,
  REPEATABLE_OPERATIONS,
  RETRYABLE_STATUSES,
  backoffMs,
  decideRetry,
  parseRetryAfter,
  resolvePolicy,
  type Failure,
  type Jitter,
  type RetryDecision,
  type RetryInput,
  type RetryPolicy,
} from "./retry";
export {
  CopassCreateUncertainError,
  createOnce,
  outcomeFromSource,
  type CreateOnceOptions,
  type Created,
} from "./create-once";
export {
  answerFate,
  fateOf,
  nextStep,
  reconcile,
  type AnswerFate,
  type NextStep,
  type Reconciliation,
  type RegisterFate,
} from "./register-fate";
export * from "./types";

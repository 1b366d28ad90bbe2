/**
 * The errors the provider throws to Pulumi. Every message names the operation and the source and
 * goes through `redact` with the secrets known to the call; none contains a token or the API key.
 *
 * Two kinds, and the difference matters to the engine:
 * - `failure(…)`: a plain error. The step fails and nothing is recorded in state. For anything that
 *   happens before a source is ours (a refused register, a taken namespace, a bad config).
 * - `SourceInitError`: "created (or updated) but failed to initialize". The host turns an error
 *   with `id`, `properties` and `reasons` into ErrorResourceInitFailed, and the engine keeps the
 *   resource in state with those outputs. Only for a source this stack registered or adopted.
 */
import { hasBrand, markBrands } from "../brand";
import { isCopassError } from "../client/errors";
import { neverConnected } from "../client/register-fate";
import { redact } from "../redact";
import { settingName, type SettingSources } from "./config";
import type { SourceOutputs } from "./outputs";

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A client error's message without its own "Copass <call> failed: ", or undefined without one. */
function withoutCall(error: { operation: string; message: string }): string | undefined {
  const prefix = `Copass ${error.operation} failed: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : undefined;
}

/**
 * What to fix when the endpoint or the key is wrong, for every face (issue 25 §3, §4): which
 * endpoint refused the key (401) or could not be connected to, and the settings that hold them
 * (only those the face reads: `sources`). Our internal call ("list", the first of a create) says
 * nothing here: any call would have failed the same way. Undefined for every other error (a 403
 * keeps the server's reason; a dropped connection, its call). Never a key: the client redacted the
 * endpoint, and the rest are names.
 */
export function settingsAdvice(error: unknown, sources: SettingSources): string | undefined {
  if (!isCopassError(error)) return undefined;
  const url = settingName("apiUrl", sources);
  if (error.status === 401) {
    const at = error.endpoint === undefined ? "Copass" : `Copass at ${error.endpoint}`;
    return (
      `${at} refused the API key (HTTP 401): check ${settingName("apiKey", sources)} ` +
      `(and ${url}, which must be the API the key belongs to)`
    );
  }
  if (neverConnected(error)) return `${withoutCall(error) ?? error.message}: check ${url}`;
  return undefined;
}

/**
 * The cause as the tail of a provider message: a client error's own "Copass <call> failed: " becomes
 * "<call>: ", so a message says "Copass create of … failed: register: HTTP 400 …", not "failed" twice;
 * a refused key or an unreachable endpoint says which setting to fix instead (settingsAdvice).
 */
function causeOf(error: unknown): string {
  if (!isCopassError(error)) return reasonOf(error);
  const advice = settingsAdvice(error, "config-and-env");
  if (advice !== undefined) return advice;
  const rest = withoutCall(error);
  return rest === undefined ? error.message : `${error.operation}: ${rest}`;
}

/** An error for Pulumi: operation, subject, cause; redacted; keeps the client's `code`. */
export function failure(operation: string, subject: string, error: unknown, secrets: string[]): Error {
  const wrapped = new Error(redact(`Copass ${operation} of ${subject} failed: ${causeOf(error)}`, secrets));
  Object.assign(wrapped, {
    code: isCopassError(error) ? error.code : ((error as { code?: unknown })?.code ?? null),
  });
  return wrapped;
}

/** The outputs of an init-failed step, plus the `__provider` the engine needs to call us again. */
export type InitFailedProperties = SourceOutputs & { __provider?: string };

/**
 * "Created (or updated) but failed to initialize" (see the header).
 *
 * The host adds `__provider` to the outputs of a successful step but not to these, and the engine
 * stores them as they are; read and delete find the provider code only in the stored outputs. So
 * the properties carry the request's `__provider` themselves, or the next `pulumi refresh` or
 * `pulumi destroy` of the source would fail before reaching us.
 */
export class SourceInitError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, this);
  }

  readonly reasons: string[];
  readonly properties: InitFailedProperties;
  constructor(
    readonly id: string,
    outs: SourceOutputs,
    reason: string,
    providerText?: unknown,
  ) {
    super(reason);
    markBrands(this, new.target);
    this.name = "SourceInitError";
    this.reasons = [reason];
    this.properties = typeof providerText === "string" ? { ...outs, __provider: providerText } : outs;
  }
}

export function isConflict(error: unknown): boolean {
  return isCopassError(error) && error.code === "COPASS_CONFLICT";
}

export function isNotFound(error: unknown): boolean {
  return isCopassError(error) && error.code === "COPASS_NOT_FOUND";
}

/** A 400 `source_revoked`: the source is disconnected, which is terminal. */
export function isRevoked(error: unknown): boolean {
  return isCopassError(error) && error.code === "COPASS_VALIDATION" && error.apiError === "source_revoked";
}

export function describe(id: string, sandboxId: unknown): string {
  return `source ${id} in sandbox ${String(sandboxId)}`;
}

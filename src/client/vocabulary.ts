/**
 * The Copass words shared by the client, the resource's public types and the emulator, in a module
 * that imports nothing: `dist/resource.d.ts` takes its unions from here, so a program's compilation
 * never reaches zod's declarations (they need `esModuleInterop` or `skipLibCheck`).
 */

/** Source statuses the API documents; it may return others, so consumers keep an open string. */
export const KNOWN_STATUSES = ["active", "error", "paused", "disconnected", "archived"] as const;
export type KnownStatus = (typeof KNOWN_STATUSES)[number];

/** How Copass authenticates to a user's MCP server. */
export const AUTH_KINDS = ["bearer", "header_token", "none"] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/**
 * Statuses of a source that is over: it holds no namespace, serves no tools and no API call brings
 * it back. `disconnected` is revoke's terminal status (reference §1.4); `archived` is the sweep of
 * inactive sources (reference §2.2), read the same way (inference). The one list: create's
 * reconciliation, adoption, the diff and health policy, `pulumi-copass import` and the emulator's
 * namespace uniqueness all read it, so a status added here changes all of them together.
 */
export const RETIRED_STATUSES = ["disconnected", "archived"] as const;
export type RetiredStatus = (typeof RETIRED_STATUSES)[number];

/** Whether a source with this status is over (see `RETIRED_STATUSES`). */
export function isRetired(status: unknown): status is RetiredStatus {
  return (RETIRED_STATUSES as readonly unknown[]).includes(status);
}

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

/**
 * Where a source lives (issue 15 §1, DESIGN §2): the Copass API endpoint and the tenant a source
 * was created or adopted with, recorded in state as the non-secret outputs `apiEndpoint` and
 * `tenantId`, and the two rules built on them.
 *
 * 1. A provider pointing at another endpoint than the recorded one never judges the source: read,
 *    update and delete fail before any API call, naming both endpoints and the fix. Copass answers
 *    404 for a source it does not hold, so asking another environment (or the same one under a
 *    mistyped base path) would make refresh forget every source and destroy "succeed" while each
 *    stays active, token and all. A deliberate move (the same Copass under a new URL) is opted into
 *    with COPASS_API_URL_MOVED_FROM=<recorded endpoint>; the source must then be found at the new
 *    endpoint (a 404 there is never "gone"), and read and update record the new endpoint.
 * 2. A 404 for a source proves it gone only when its sandbox answers for this key: another
 *    tenant's key gets 404 for the whole sandbox, so the sandbox is listed (one more call, only on
 *    that path) before concluding.
 *
 * State written before these keys existed is "unknown": not compared, and recorded on the next
 * successful read or update. The rules are pure functions; `placeCall` and `confirmGone` are what
 * operations.ts calls (the latter makes the one listing call rule 2 needs), throwing its failures.
 */
import type { CopassApi } from "../client/api";
import type { SourceList } from "../client/types";
import { redact } from "../redact";
import { ProviderConfigError, SETTINGS, type ProviderSettings } from "./config";
import { failure, isNotFound } from "./errors";

/** Where a source lives, as state records it; `null` = not known (yet). */
export type Location = {
  apiEndpoint: string | null;
  tenantId: string | null;
};

/** The endpoint in force for a call, compared with the recorded one (`placement`). */
export interface Placement {
  /** The current endpoint, normalised: what a successful call records. */
  endpoint: string;
  recorded: Location;
  /** A deliberate move (COPASS_API_URL_MOVED_FROM): the source must be found at `endpoint`. */
  moving: boolean;
}

/** A refusal of this module; `code` lets callers (and the drift report) tell them apart. */
export class LocationError extends Error {
  constructor(
    message: string,
    readonly code:
      "COPASS_ELSEWHERE" | "COPASS_SANDBOX_NOT_VISIBLE" | "COPASS_INCONSISTENT" | "COPASS_TENANT",
  ) {
    super(message);
    this.name = "LocationError";
  }
}

const MOVE_SETTING = SETTINGS.apiUrlMovedFrom.env;
const MOVE_DOCS = 'docs/trust.md "Moving a stack to another Copass endpoint"';

/**
 * `scheme://host[:port][/base path]`: scheme and host lowercased, the default port dropped, no
 * trailing slash (URL does the first three). The apiUrl rule (client/url.ts) already refused
 * userinfo, query and fragment; a URL that still carries one of `secrets` (a key pasted into the
 * path) is refused here, since the endpoint is stored in plain text.
 */
export function endpointOf(apiUrl: string, secrets: readonly string[] = []): string {
  const endpoint = normalised(apiUrl);
  if (redact(endpoint, secrets) !== endpoint) {
    throw new ProviderConfigError(
      "The Copass API URL (copass:apiUrl or COPASS_API_URL) contains a credential; the API key belongs " +
        "in copass:apiKey or COPASS_API_KEY only: remove it from the URL",
    );
  }
  return endpoint;
}

/** The last URL `normalised` parsed: every operation asks for the same one (the provider's apiUrl). */
let lastNormalised: { apiUrl: string; endpoint: string } | undefined;

/** `scheme://host[:port][/base path]` of `apiUrl` (see `endpointOf`), parsed once per URL in a row. */
function normalised(apiUrl: string): string {
  if (apiUrl === lastNormalised?.apiUrl) return lastNormalised.endpoint;
  const url = new URL(apiUrl);
  const endpoint = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  lastNormalised = { apiUrl, endpoint };
  return endpoint;
}

/** Where a source just registered or adopted lives: here, and the tenant if the answer says. */
export function locationOfCreate(endpoint: string, outcome: Record<string, unknown>): Location {
  const userId = outcome.user_id;
  return { apiEndpoint: endpoint, tenantId: typeof userId === "string" && userId !== "" ? userId : null };
}

/** The recorded location of `prior` (outputs); absent or non-string keys are unknown. */
export function recordedLocation(prior: Record<string, unknown>): Location {
  return {
    apiEndpoint: typeof prior.apiEndpoint === "string" ? prior.apiEndpoint : null,
    tenantId: typeof prior.tenantId === "string" ? prior.tenantId : null,
  };
}

function tenantNote(tenantId: string | null): string {
  return tenantId === null ? "" : ` (tenant ${tenantId})`;
}

/**
 * Whether a call may go to `current` (normalised) for a source recorded at `recorded`; throws a
 * `LocationError` naming both endpoints and the fix when it may not. `movedFrom` is the
 * COPASS_API_URL_MOVED_FROM setting, normalised; it matters only when the endpoints differ.
 */
export function placement(recorded: Location, current: string, movedFrom?: string): Placement {
  const at = recorded.apiEndpoint;
  if (at === null || at === current) return { endpoint: current, recorded, moving: false };
  if (movedFrom === at) return { endpoint: current, recorded, moving: true };
  const moveNote =
    movedFrom === undefined ? "" : ` (${MOVE_SETTING} is set to ${movedFrom}, not to the recorded endpoint)`;
  throw new LocationError(
    `state records this source at ${at}${tenantNote(recorded.tenantId)}, but the provider now points at ` +
      `${current}${moveNote}. Nothing was read or changed: Copass there cannot tell whether the source is ` +
      `gone. If the URL is a mistake, set copass:apiUrl or COPASS_API_URL back to ${at}. To move this ` +
      `stack to ${current} on purpose (the same Copass under a new URL), run \`pulumi refresh\` with ` +
      `${MOVE_SETTING}=${at} set, then unset it (${MOVE_DOCS})`,
    "COPASS_ELSEWHERE",
  );
}

/**
 * The tenant to record after a read: the row's `user_id`, or the recorded one when the row has
 * none. A row of another tenant than the recorded one is not this source: refused.
 */
export function tenantAfterRead(
  place: Placement,
  userId: string | null | undefined,
  id: string,
): string | null {
  const recorded = place.recorded.tenantId;
  if (typeof userId !== "string" || userId === "") return recorded;
  if (recorded !== null && userId !== recorded) {
    throw new LocationError(
      `Copass at ${place.endpoint} answered source ${id} for tenant ${userId}, but state records tenant ` +
        `${recorded}: not the source this stack registered. Nothing was changed; check copass:apiUrl ` +
        "and the API key",
      "COPASS_TENANT",
    );
  }
  return userId;
}

/** What a listing of the sandbox says about a source that answered 404. */
export type ListingVerdict = "gone" | "present" | "incomplete";

/** Pure: absent from a complete listing is gone; a listing shorter than its `count` proves nothing. */
export function judgeListing(listing: SourceList, id: string): ListingVerdict {
  if (listing.sources.some((row) => row.data_source_id === id)) return "present";
  if (typeof listing.count === "number" && listing.count > listing.sources.length) return "incomplete";
  return "gone";
}

function sandboxNotVisible(sandboxId: string, place: Placement): LocationError {
  const tenant = place.recorded.tenantId;
  return new LocationError(
    `sandbox ${sandboxId} is not visible with this API key at ${place.endpoint}: a key of another tenant ` +
      `or another environment?${tenant === null ? "" : ` State records the source for tenant ${tenant}.`} ` +
      "Nothing was changed. Set copass:apiKey or COPASS_API_KEY to a key of the tenant that owns the " +
      "sandbox. If the sandbox was deleted on purpose, `pulumi state delete <urn>` removes the source " +
      "from this stack (`pulumi stack --show-urns` lists the URNs)",
    "COPASS_SANDBOX_NOT_VISIBLE",
  );
}

/** Why a listing that does not show the source still does not prove it gone, or undefined. */
function notProvenGone(
  verdict: ListingVerdict,
  sandboxId: string,
  id: string,
  place: Placement,
): string | undefined {
  if (verdict === "present") {
    return (
      `Copass answered inconsistently: source ${id} was not found, but the listing of sandbox ${sandboxId} ` +
      "shows it. Nothing was changed; try again"
    );
  }
  if (verdict === "incomplete") {
    return (
      `source ${id} was not found, and the listing of sandbox ${sandboxId} is incomplete (fewer rows than ` +
      "its count), so it does not prove the source gone. Nothing was changed; try again"
    );
  }
  if (place.moving) {
    return (
      `source ${id} is not in sandbox ${sandboxId} at ${place.endpoint}, the endpoint this stack is moving ` +
      `to from ${place.recorded.apiEndpoint} (${MOVE_SETTING}): a move must find every source at the new ` +
      `endpoint. Check the URL; if the source really is gone, point copass:apiUrl back at ` +
      `${place.recorded.apiEndpoint} to refresh it there, or \`pulumi state delete <urn>\``
    );
  }
  return undefined;
}

/** A source that answered 404, the call's placement, and the secrets its messages must not carry. */
export interface Missing {
  sandboxId: string;
  id: string;
  place: Placement;
  secrets: string[];
}

/**
 * After a 404 for the source: resolves when its sandbox answers and does not list it (gone); else
 * throws `operation`'s failure — sandbox not visible, inconsistent, incomplete, a move that did not
 * find it, or the listing's own error. One API call.
 */
export async function confirmGone(
  operation: string,
  subject: string,
  api: CopassApi,
  at: Missing,
): Promise<void> {
  let listing: SourceList;
  try {
    listing = await api.listSources(at.sandboxId, { provider: "user_mcp" });
  } catch (error) {
    const cause = isNotFound(error) ? sandboxNotVisible(at.sandboxId, at.place) : error;
    throw failure(operation, subject, cause, at.secrets);
  }
  const verdict = judgeListing(listing, at.id);
  const why = notProvenGone(verdict, at.sandboxId, at.id, at.place);
  if (why === undefined) return;
  const code = verdict === "gone" ? "COPASS_ELSEWHERE" : "COPASS_INCONSISTENT";
  throw failure(operation, subject, new LocationError(why, code), at.secrets);
}

/**
 * Where a read, update or delete of the source recorded in `prior` goes (`placement` with the
 * settings in force), or `operation`'s failure naming both endpoints.
 */
export function placeCall(
  operation: string,
  subject: string,
  prior: Record<string, unknown>,
  settings: ProviderSettings,
  secrets: string[],
): Placement {
  try {
    const movedFrom =
      settings.apiUrlMovedFrom === undefined ? undefined : endpointOf(settings.apiUrlMovedFrom);
    return placement(recordedLocation(prior), endpointOf(settings.apiUrl, secrets), movedFrom);
  } catch (error) {
    throw failure(operation, subject, error, secrets);
  }
}

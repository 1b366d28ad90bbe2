/**
 * Finding the source a lost register response created (DESIGN §2: "create is never duplicated").
 * Pure: the client lists, this decides. Used by `CopassClient.registerUserMcpReconciled`.
 *
 * A row is "ours" when it is a live user_mcp source (not disconnected or archived) whose name and
 * base_url equal what we sent, and:
 * - with an explicit `app_namespace`: its namespace equals ours. Namespaces are unique among live
 *   sources, so at most one row can match; requiring name and base_url as well keeps us from
 *   adopting somebody else's source that already held the namespace (our POST was then refused
 *   with a conflict whose answer we lost, and committed nothing).
 * - without one: its id was not in the snapshot listed before the POST. A source with the same
 *   name and URL created by someone else between the snapshot and the listing would be taken for
 *   ours; Copass offers nothing better (no idempotency key), and an explicit namespace avoids it.
 *
 * `adapter_config` keys are undocumented (reference §2.3), so a key the row lacks is not held
 * against it; a key it has must match. The namespace is the exception: without it on the row we
 * cannot tell, so the row does not match.
 */
import type { DataSource, RegisterUserMcpRequest, UserMcpResult } from "./types";

/** Statuses of rows that no longer hold their namespace (reference §5, inference). */
const RETIRED_STATUSES = ["disconnected", "archived"];

export function findRegisteredSource(
  sources: readonly DataSource[],
  request: Pick<RegisterUserMcpRequest, "name" | "base_url" | "app_namespace">,
  idsBefore?: ReadonlySet<string>,
): DataSource | undefined {
  const matches = sources.filter((row) => {
    if (row.provider !== "user_mcp" || RETIRED_STATUSES.includes(row.status)) return false;
    if (row.name !== request.name) return false;
    const config = row.adapter_config ?? {};
    if (config.base_url !== undefined && config.base_url !== null && config.base_url !== request.base_url) {
      return false;
    }
    if (request.app_namespace !== undefined) return config.app_namespace === request.app_namespace;
    return idsBefore !== undefined && !idsBefore.has(row.data_source_id);
  });
  // More than one new match means someone else registered the same thing meanwhile; the newest is
  // the one most likely ours (ISO timestamps sort as strings; a row without one sorts first).
  return matches.sort((a, b) => (a.created_at ?? "").localeCompare(b.created_at ?? "")).at(-1);
}

/** The register outcome equivalent to a row found by listing. */
export function outcomeFromSource(row: DataSource): UserMcpResult {
  return {
    data_source_id: row.data_source_id,
    status: row.status,
    name: row.name,
    ingestion_mode: row.ingestion_mode ?? null,
    health_error: row.health_error ?? null,
    error: null,
    detail: null,
  };
}

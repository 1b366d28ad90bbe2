/**
 * Adoption, and its refusal (DESIGN §2). A source the stack did not register is the stack's only
 * when the program says so (`adoptExisting: true`): then create looks the source up by
 * `appNamespace` and takes it over. Without it, a create whose namespace is taken fails, names the
 * holder, the two usual causes and the two ways out, and changes nothing: no PATCH, no test, and a
 * plain error (not "failed to initialize"), so the holder's id never reaches this stack's state.
 *
 * Why no "take back a holder that looks like ours": every API-visible field of another stack's
 * source can equal this program's (a copy of the project, another stack of it); only the token
 * differs, and Copass never shows it. Taking such a source over would put this stack's token on
 * someone else's source, and destroying this stack would revoke it. A lost register answer follows
 * the same rule (client/register-fate.ts): a holder listed before the POST is never ours.
 */
import type { CopassApi } from "../client/api";
import { listUserMcp, type Created } from "../client/create-once";
import type { DataSource } from "../client/types";
import { isRetired } from "../client/vocabulary";
import { describe } from "./errors";
import { differingFields } from "./diff";
import { FIELD_NAMES, patchBodyForFields, type NormalizedInputs } from "./schema";

/** The live (not retired: client/vocabulary.ts) source of `rows` holding `namespace`, if any. */
function holderIn(rows: readonly DataSource[], namespace: string): DataSource | undefined {
  return rows.find((s) => !isRetired(s.status) && s.adapter_config?.app_namespace === namespace);
}

/** What `adopt` found: the source taken over, if any, and the listing it looked in. */
export interface Adoption {
  /** The holder, its whole desired config and token PATCHed in; undefined when there was none. */
  adopted?: Created;
  /** The listing, taken before any register: create's snapshot (client/create-once.ts). */
  listed: DataSource[];
}

/**
 * `adoptExisting`: the live source holding this `appNamespace`, taken over by a PATCH of the whole
 * desired config and the token. A retired holder (revoked, archived) is never adopted: it serves
 * nothing and frees its namespace, so create registers a new source. The id is the listed source's
 * `data_source_id`. `ingestToolCalls` cannot be patched: when the existing source's differ, adoption
 * stops before changing anything, with an error naming the two ways out.
 *
 * The health test that follows is the caller's (operations.ts create): once the PATCH landed the
 * source is ours and modified, so a failing test must leave it in state (init-failed), never end
 * as a plain error that forgets it.
 */
export async function adopt(api: CopassApi, inputs: NormalizedInputs): Promise<Adoption> {
  const listed = await listUserMcp(api, inputs.sandboxId);
  const found = holderIn(listed, String(inputs.appNamespace));
  if (!found) return { listed };
  const id = found.data_source_id;
  if (differingFields(found, inputs).includes("ingestToolCalls")) {
    throw new Error(
      `adoptExisting found ${describe(id, inputs.sandboxId)} with appNamespace ${String(inputs.appNamespace)}, ` +
        "but its ingestToolCalls differ and cannot be changed in place: set ingestToolCalls to the existing " +
        "source's, or revoke that source so a new one is registered",
    );
  }
  const patched = await api.patchUserMcp(inputs.sandboxId, id, patchBodyForFields(inputs, FIELD_NAMES));
  // The listed row names its tenant: recorded now (location.ts), not at the first refresh.
  const outcome = { user_id: found.user_id, ...patched };
  return { adopted: { id, outcome }, listed };
}

/**
 * The error for a register refused because `appNamespace` is taken. Lists once (read-only) to name
 * the holder; touches nothing.
 */
export async function namespaceTaken(api: CopassApi, inputs: NormalizedInputs): Promise<Error> {
  const namespace = String(inputs.appNamespace);
  const holder = await listUserMcp(api, inputs.sandboxId).then(
    (rows) => holderIn(rows, namespace),
    () => undefined,
  );
  const who = holder
    ? `${describe(holder.data_source_id, inputs.sandboxId)} (status ${holder.status})`
    : `another source in sandbox ${inputs.sandboxId}`;
  return new Error(
    `appNamespace ${namespace} is already held by ${who}. Either another stack or person owns that ` +
      "source, or an earlier pulumi up of this stack was interrupted after Copass registered it. " +
      "Nothing was changed. To take that source over deliberately, set adoptExisting: true on this " +
      "resource; otherwise choose another appNamespace.",
  );
}

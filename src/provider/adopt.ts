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
 * someone else's source, and destroying this stack would revoke it.
 */
import type { CopassApi } from "../client/api";
import type { Created } from "../client/create-once";
import type { DataSource } from "../client/types";
import { describe } from "./errors";
import { fieldChanged } from "./diff";
import { healthFromSource, outputsFromSource } from "./outputs";
import { FIELDS, FIELD_NAMES, patchBodyForFields, type FieldName, type NormalizedInputs } from "./schema";

type Props = Record<string, unknown>;

/** The non-disconnected user_mcp source of the sandbox holding this `appNamespace`, if any. */
async function holderOfNamespace(
  api: CopassApi,
  sandboxId: string,
  namespace: string,
): Promise<DataSource | undefined> {
  const { sources } = await api.listSources(sandboxId, { provider: "user_mcp" });
  return sources.find((s) => s.status !== "disconnected" && s.adapter_config?.app_namespace === namespace);
}

/** The API fields (token aside: never readable) in which `source` differs from the program. */
function differingFields(source: DataSource, inputs: NormalizedInputs): FieldName[] {
  const existing = outputsFromSource(source, inputs as unknown as Props, healthFromSource(source));
  return FIELD_NAMES.filter(
    (name) =>
      FIELDS[name].wire !== null &&
      name !== "token" &&
      fieldChanged(name, existing as unknown as Props, inputs as unknown as Props),
  );
}

/**
 * `adoptExisting`: the source holding this `appNamespace`, taken over (PATCH of the whole desired
 * config and the token, then a re-test). Undefined when there is none (create then registers).
 * The id is the listed source's `data_source_id`, never a field of the test's answer.
 * `ingestToolCalls` cannot be patched: when the existing source's differ, adoption stops before
 * changing anything, with an error naming the two ways out.
 */
export async function adopt(api: CopassApi, inputs: NormalizedInputs): Promise<Created | undefined> {
  const found = await holderOfNamespace(api, inputs.sandboxId, String(inputs.appNamespace));
  if (!found) return undefined;
  const id = found.data_source_id;
  if (differingFields(found, inputs).includes("ingestToolCalls")) {
    throw new Error(
      `adoptExisting found ${describe(id, inputs.sandboxId)} with appNamespace ${String(inputs.appNamespace)}, ` +
        "but its ingestToolCalls differ and cannot be changed in place: set ingestToolCalls to the existing " +
        "source's, or revoke that source so a new one is registered",
    );
  }
  await api.patchUserMcp(inputs.sandboxId, id, patchBodyForFields(inputs, FIELD_NAMES));
  const outcome = await api.testUserMcp(inputs.sandboxId, id);
  return { id, outcome };
}

/**
 * The error for a register refused because `appNamespace` is taken. Lists once (read-only) to name
 * the holder; touches nothing.
 */
export async function namespaceTaken(api: CopassApi, inputs: NormalizedInputs): Promise<Error> {
  const namespace = String(inputs.appNamespace);
  const holder = await holderOfNamespace(api, inputs.sandboxId, namespace).catch(() => undefined);
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

/**
 * The operations of the `UserMcpSource` provider that call the API: create, read, update and
 * delete (DESIGN §2). provider.ts loads this module on the first of them, not when the provider
 * loads: a preview (configure, check, diff) never needs it, nor the modules only it brings
 * (create-once and the register's fate, adoption, the health wait), issue 24.
 *
 * This file orders the API calls; decisions live in pure modules (schema, diff, health, outputs),
 * and each behaviour in its own: a create is never duplicated (../client/create-once.ts), adoption
 * (adopt.ts), the health wait (health-wait.ts), where a source lives and what proves it gone
 * (location.ts), the errors Pulumi sees (errors.ts). Errors thrown to Pulumi name the operation
 * and the source, never a token or the API key; every message goes through `redact` with the
 * secrets known to the call as a last line of defence. Once a source is ours (registered or
 * adopted), a later failure throws an init-failed error (`{id, properties, reasons}`) so that the
 * engine keeps it in state instead of orphaning it; before that, a plain error, so that no id this
 * stack does not own reaches its state.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CopassApi } from "../client/api";
import { createOnce, type Created } from "../client/create-once";
import { isRetired } from "../client/vocabulary";
import { adopt, namespaceTaken } from "./adopt";
import { differingFields, updatePlan } from "./diff";
import { SourceInitError, describe, failure, isConflict, isNotFound, isRevoked } from "./errors";
import { enforceHealth, scrubbed, settleHealth, unfinishedRetest, type HealthWait } from "./health-wait";
import { confirmGone, locationOfCreate, placeCall, recordedLocation, tenantAfterRead } from "./location";
import {
  buildOutputs,
  healthFromOutcome,
  healthFromSource,
  inputsFromOutputs,
  outputsFromSource,
  type HealthState,
} from "./outputs";
import { checkInputs, registerBody, type NormalizedInputs } from "./schema";
import { cancelSignal, connect, secretsOf } from "./session";

type Props = Record<string, unknown>;

/** Inputs as `check` returns them. Create and update re-check (cheap) rather than trust a shape. */
function checked(inputs: Props, operation: string): NormalizedInputs {
  const result = checkInputs(inputs);
  if (!result.ok) {
    const list = result.failures.map((f) => f.reason).join("; ");
    throw new Error(`Copass ${operation} refused invalid inputs: ${list}`);
  }
  return result.inputs;
}

type Operations = Pick<Required<pulumi.dynamic.ResourceProvider>, "create" | "read" | "update" | "delete">;

export const operations = {
  /**
   * Adopts (adoptExisting) or registers (create-once.ts: a lost response never duplicates, and never
   * takes a twin stack's source), then applies the health policy. A taken namespace fails plainly,
   * changing nothing (adopt.ts). API calls, healthy: 2 (list snapshot, register), with or without
   * appNamespace. Adoption: list + patch + test (no holder: list + register, the adoption's listing
   * being the snapshot). Namespace taken: list + register + list.
   */
  async create(raw: Props): Promise<pulumi.dynamic.CreateResult> {
    const inputs = checked(raw, "create");
    const subject = `a user_mcp source in sandbox ${inputs.sandboxId}`;
    const { api, settings, secrets } = await connectOrThrow("create", subject, inputs.token);
    const endpoint = placeCall("create", subject, {}, settings, secrets).endpoint;

    let created: Created | undefined;
    let adopted = false;
    try {
      const adoption = inputs.adoptExisting ? await adopt(api, inputs) : undefined;
      created = adoption?.adopted;
      adopted = created !== undefined;
      created ??= await createOnce(api, inputs.sandboxId, registerBody(inputs), {
        // The field table's comparator (diff.ts), the same rule as refresh's diff and adoption's.
        matches: (row) => differingFields(row, inputs).length === 0,
        snapshot: adoption?.listed,
        cancel: cancelSignal(),
      });
    } catch (error) {
      // Taken by a source this stack neither registered nor was told to adopt: say so, touch nothing.
      if (isConflict(error) && inputs.appNamespace !== undefined) {
        throw failure("create", subject, await namespaceTaken(api, inputs), secrets);
      }
      throw failure("create", subject, error, secrets);
    }
    const { id, outcome } = created;

    // A registered source comes with the register's one-shot health check. An adopted one's health
    // is unknown until it is tested with the config and token just PATCHed in, inside the zone below.
    const first = adopted ? undefined : scrubbed(healthFromOutcome(outcome), secrets);
    const prior = first ?? {
      status: "unknown",
      healthError: null,
      ingestionMode: outcome.ingestion_mode ?? null,
    };
    const namespace = inputs.appNamespace ?? id;
    const location = locationOfCreate(endpoint, outcome);
    let outs;
    try {
      const { health, verdict } = await settleHealth(healthWait(api, inputs, id, secrets), first, prior);
      outs = buildOutputs(inputs, id, health, namespace, location);
      const verb = adopted ? "adopted" : "created";
      enforceHealth(verdict, verb, outs, inputs.healthTimeoutSeconds, secrets, raw.__provider);
    } catch (error) {
      if (error instanceof SourceInitError) throw error;
      // The source is ours (registered, or adopted and PATCHed): never lose it from state because a
      // test failed. Its status is unknown (the test that was due did not finish), so the next plan
      // re-tests it.
      const step = adopted ? "health test after adoption" : "health re-test";
      const reason = failure(step, describe(id, inputs.sandboxId), error, secrets).message;
      const source = { id, inputs, namespace, location, providerText: raw.__provider };
      throw unfinishedRetest(source, prior, reason);
    }
    return { id, outs };
  },

  /**
   * GET (refused first if the provider points away from the recorded endpoint; a 404 is gone once
   * the sandbox's listing confirms it: get + list), then with healthCheckOnRefresh a re-test (not for
   * a retired source: revoked or archived). `props`: full outputs; `inputs`: desired fields at Copass.
   */
  async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
    const prior = props ?? {};
    const sandboxId = prior.sandboxId;
    if (typeof sandboxId !== "string") {
      throw new Error(
        `Copass read of source ${id} needs its prior state (sandboxId); pulumi import does not work for ` +
          "dynamic resources: declare the source with adoptExisting: true instead",
      );
    }
    const subject = describe(id, sandboxId);
    const { api, settings, secrets } = await connectOrThrow("read", subject, prior.token);
    const place = placeCall("read", subject, prior, settings, secrets);
    try {
      const source = await api.getSource(sandboxId, id);
      // Before the re-test, which writes: another tenant's row is not ours to test.
      const location = { apiEndpoint: place.endpoint, tenantId: tenantAfterRead(place, source.user_id, id) };
      let health = scrubbed(healthFromSource(source), secrets);
      if (prior.healthCheckOnRefresh !== false && !isRetired(source.status)) {
        try {
          health = scrubbed(healthFromOutcome(await api.testUserMcp(sandboxId, id), health), secrets);
        } catch (error) {
          // Revoked between the GET and the test: report it as such.
          if (!isRevoked(error)) throw error;
          health = { status: "disconnected", healthError: null, ingestionMode: health.ingestionMode };
        }
      }
      const outs = outputsFromSource(source, prior, health, location);
      return { id, props: outs, inputs: inputsFromOutputs(outs) };
    } catch (error) {
      if (!isNotFound(error)) throw failure("read", subject, error, secrets);
    }
    await confirmGone("read", subject, api, { sandboxId, id, place, secrets });
    return { id: "" };
  },

  /**
   * PATCHes only the changed fields (none: no call), the token only when it changed; re-tests
   * after a connection change or to heal health drift, under the same policy as create. A re-test
   * that does not finish leaves status "unknown" in state (health-wait.ts `unfinished`).
   */
  async update(id: string, olds: Props, raw: Props): Promise<pulumi.dynamic.UpdateResult> {
    const prior = olds ?? {};
    const news = checked(raw, "update");
    const subject = describe(id, news.sandboxId);
    const { body, retest } = updatePlan(prior, news);
    let health: HealthState = {
      status: typeof prior.status === "string" ? prior.status : "unknown",
      healthError: typeof prior.healthError === "string" ? prior.healthError : null,
      ingestionMode: typeof prior.ingestionMode === "string" ? prior.ingestionMode : null,
    };
    const namespace = news.appNamespace ?? (typeof prior.appNamespace === "string" ? prior.appNamespace : id);
    if (Object.keys(body).length === 0 && !retest) {
      return { outs: buildOutputs(news, id, health, namespace, recordedLocation(prior)) };
    }

    const { api, settings, secrets } = await connectOrThrow("update", subject, news.token, prior.token);
    const place = placeCall("update", subject, prior, settings, secrets);
    const location = { apiEndpoint: place.endpoint, tenantId: place.recorded.tenantId };
    if (Object.keys(body).length > 0) {
      try {
        health = scrubbed(
          healthFromOutcome(await api.patchUserMcp(news.sandboxId, id, body), health),
          secrets,
        );
      } catch (error) {
        throw failure("update", subject, error, secrets);
      }
    }
    if (!retest) return { outs: buildOutputs(news, id, health, namespace, location) };
    let outs;
    try {
      const settled = await settleHealth(healthWait(api, news, id, secrets), undefined, health);
      outs = buildOutputs(news, id, settled.health, namespace, location);
      enforceHealth(settled.verdict, "updated", outs, news.healthTimeoutSeconds, secrets, raw.__provider);
    } catch (error) {
      if (error instanceof SourceInitError) throw error;
      // The PATCH (if any) landed: keep the new config in state rather than the old, and never the
      // PATCH answer's status, which Copass measured before the change: unknown, so the next plan
      // re-tests (issue 15 §3).
      const reason = failure("health re-test", subject, error, secrets).message;
      const source = { id, inputs: news, namespace, location, providerText: raw.__provider };
      throw unfinishedRetest(source, health, reason);
    }
    return { outs };
  },

  /**
   * Revoke; with deletionPolicy "delete" also DELETE the row. Already revoked, or gone (as read
   * judges it, location.ts) = deleted, so a second delete is a no-op.
   */
  async delete(id: string, props: Props): Promise<void> {
    const prior = props ?? {};
    const subject = describe(id, prior.sandboxId);
    if (typeof prior.sandboxId !== "string") {
      throw new Error(`Copass delete of source ${id} needs its sandboxId in state, which is missing`);
    }
    const { api, settings, secrets } = await connectOrThrow("delete", subject, prior.token);
    const place = placeCall("delete", subject, prior, settings, secrets);
    const gone = { sandboxId: prior.sandboxId, id, place, secrets };
    try {
      await api.revokeUserMcp(prior.sandboxId, id);
    } catch (error) {
      if (isNotFound(error)) return confirmGone("delete (revoke)", subject, api, gone);
      if (!isRevoked(error)) throw failure("delete (revoke)", subject, error, secrets);
    }
    if (prior.deletionPolicy !== "delete") return;
    try {
      await api.deleteSource(prior.sandboxId, id);
    } catch (error) {
      if (!isNotFound(error)) throw failure("delete", subject, error, secrets);
      await confirmGone("delete", subject, api, gone);
    }
  },
} satisfies Operations;

/** `connect` and the secrets the call's messages must not carry; a config problem fails `operation`. */
async function connectOrThrow(operation: string, subject: string, ...tokens: unknown[]) {
  try {
    const { api, settings } = await connect();
    return { api, settings, secrets: secretsOf(...tokens) };
  } catch (error) {
    throw failure(operation, subject, error, secretsOf(...tokens));
  }
}

function healthWait(api: CopassApi, inputs: NormalizedInputs, id: string, secrets: string[]): HealthWait {
  return {
    api,
    sandboxId: inputs.sandboxId,
    id,
    policy: inputs.healthPolicy,
    timeoutSeconds: inputs.healthTimeoutSeconds,
    secrets,
    cancel: cancelSignal(),
  };
}

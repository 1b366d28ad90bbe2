/**
 * Engine events of `pulumi refresh --preview-only` (Pulumi 3.274.1, the e2e CLI) on a stack of
 * examples/basic against the emulator and the sample MCP server, captured with `--event-log` and
 * trimmed of the serialized `__provider` (test/cli/fixtures/drift-events/*.jsonl):
 * - in-sync: nothing changed;
 * - mcp-outage: the MCP server stopped (status active → error, healthError "connection refused");
 * - renamed: `name` changed in the Copass console (an out-of-band PATCH);
 * - revoked-and-renamed: then revoked out of band (status disconnected);
 * - deleted: then deleted out of band (the read finds nothing: op delete);
 * - read-failed: Copass answered 500 to the read (a diagnostic with the source's URN, no outputs);
 * - pending-delete: in-sync with a second copy of `crm` pending delete (a replacement whose delete
 *   failed: `delete: true`, another id) that the read finds gone (op delete). Edited by hand from
 *   in-sync, not captured: the shape of the copy's steps is Pulumi's StepEventStateMetadata.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { EngineEventLike } from "../../src/cli/drift-classify";

export type Captured =
  "in-sync" | "mcp-outage" | "renamed" | "revoked-and-renamed" | "deleted" | "read-failed" | "pending-delete";

export const SOURCE_URN = "urn:pulumi:dev::copass-basic::pulumi-nodejs:dynamic/copass:UserMcpSource::crm";
export const SOURCE_ID = "ds_Q9KAQ4B9JK11XYCJNVRWH4PEEZ";

/** A fresh copy of a captured run's events (tests may edit it). */
export function captured(name: Captured): EngineEventLike[] {
  const file = path.join(__dirname, "fixtures", "drift-events", `${name}.jsonl`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as EngineEventLike);
}

/** The source's `resOutputsEvent` metadata in `events` (to edit a captured run). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- engine JSON, edited freely by tests
export function sourceOutputs(events: EngineEventLike[]): any {
  const found = events.find((e) => e.resOutputsEvent?.metadata.urn === SOURCE_URN);
  if (!found?.resOutputsEvent) throw new Error("no resOutputsEvent for the source in this capture");
  return found.resOutputsEvent.metadata;
}

/** Whether an event is a step of the pending-delete copy (state's `delete: true`). */
function ofPendingCopy(event: EngineEventLike): boolean {
  const meta = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
  return (meta?.old ?? meta?.new)?.delete === true;
}

/**
 * `events` with the pending-delete copy's steps moved before every other event of the same run
 * (the engine refreshes both copies at once, so either may report first).
 */
export function pendingCopyFirst(events: EngineEventLike[]): EngineEventLike[] {
  return [...events.filter(ofPendingCopy), ...events.filter((e) => !ofPendingCopy(e))];
}

/** The metadata of the source's steps for one copy: the live one or the pending-delete one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- engine JSON, edited freely by tests
export function copySteps(events: EngineEventLike[], pending: boolean): any[] {
  return events
    .filter((e) => ofPendingCopy(e) === pending)
    .map((e) => e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata)
    .filter((meta) => meta?.urn === SOURCE_URN);
}

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
 * - pending-delete (stack `drift`, from test/e2e/drift.test.ts): a replacement of `crm` into another
 *   sandbox whose revoke of the old copy Copass refused (403), leaving that copy in state pending
 *   delete (`delete: true`) beside the new one; then the old copy revoked out of band. Both copies
 *   share one URN; the old copy's read reports first (op update, status disconnected), then the
 *   live one's (op same).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isPendingDelete, type EngineEventLike } from "../../src/cli/drift-classify";

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

/** The two copies of `crm` in the pending-delete capture: one URN, two ids. */
export const PENDING_CAPTURE = {
  urn: "urn:pulumi:drift::copass-basic::pulumi-nodejs:dynamic/copass:UserMcpSource::crm",
  liveId: "ds_FF5CJ1S2SBGST0BCF5J8R0AA50",
  oldId: "ds_ZEWXCE3GSC247SGXK3M2C7G10S",
};

/** Whether an event is a step of the pending-delete copy (state's `delete: true`). */
function ofPendingCopy(event: EngineEventLike): boolean {
  const meta = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
  return meta !== undefined && isPendingDelete(meta);
}

/**
 * `events` with the pending-delete copy's steps moved after every other event: the engine reads
 * both copies at once, so either may report last (the capture has the old copy's first).
 */
export function pendingCopyLast(events: EngineEventLike[]): EngineEventLike[] {
  return [...events.filter((e) => !ofPendingCopy(e)), ...events.filter(ofPendingCopy)];
}

/** The result step (resOutputsEvent metadata) of one copy of `crm` in `events`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- engine JSON, edited freely by tests
export function copyResult(events: EngineEventLike[], pending: boolean): any {
  return events.find(
    (e) => e.resOutputsEvent?.metadata.urn === PENDING_CAPTURE.urn && ofPendingCopy(e) === pending,
  )?.resOutputsEvent?.metadata;
}

/** `events` without the result of one copy: its read started and never finished. */
export function withoutResult(events: EngineEventLike[], pending: boolean): EngineEventLike[] {
  return events.filter((e) => !(e.resOutputsEvent && ofPendingCopy(e) === pending));
}

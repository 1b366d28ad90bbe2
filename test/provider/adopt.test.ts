/**
 * adopt.ts against a fake `CopassApi` (mocked: the emulator cannot make an archived source, which
 * only Copass's sweep of inactive ephemeral sources produces; reference §2.2).
 */
import { describe, expect, it } from "vitest";
import type { CopassApi } from "../../src/client/api";
import type { DataSource } from "../../src/client/types";
import { adopt } from "../../src/provider/adopt";
import { checkedInputs } from "./fixtures";

function fakeApi(sources: DataSource[]): { api: CopassApi; calls: string[] } {
  const calls: string[] = [];
  const api = {
    async listSources() {
      calls.push("list");
      return { sources, count: sources.length };
    },
    async patchUserMcp(_sb: string, id: string) {
      calls.push("patch");
      return { data_source_id: id, status: "active" };
    },
  } as unknown as CopassApi;
  return { api, calls };
}

const holder = (status: string): DataSource => ({
  data_source_id: `ds_${status}`,
  provider: "user_mcp",
  name: "CRM",
  status,
  adapter_config: { app_namespace: "crm" },
});

describe("adopt (mocked CopassApi)", () => {
  // mutation: holderIn's `!isRetired(s.status)` → `s.status !== "disconnected"` (the old spelling)
  // → the archived row is PATCHed and adopted: the "archived" row fails.
  it.each(["disconnected", "archived"])(
    "never adopts a %s holder: nothing to take over, no PATCH",
    async (status) => {
      const { api, calls } = fakeApi([holder(status)]);
      const found = await adopt(
        api,
        checkedInputs("tok-adopt-1234", { appNamespace: "crm", adoptExisting: true }),
      );
      expect(found.adopted).toBeUndefined();
      // The listing is handed on as create's snapshot: the retired row is in it (never ours either).
      expect(found.listed.map((s) => s.data_source_id)).toEqual([`ds_${status}`]);
      expect(calls).toEqual(["list"]);
    },
  );

  it.each(["active", "error", "paused"])(
    "adopts a live %s holder with one PATCH and no test (create tests it)",
    async (status) => {
      const { api, calls } = fakeApi([holder(status)]);
      const found = await adopt(
        api,
        checkedInputs("tok-adopt-1234", { appNamespace: "crm", adoptExisting: true }),
      );
      expect(found.adopted?.id).toBe(`ds_${status}`);
      expect(calls).toEqual(["list", "patch"]);
    },
  );
});

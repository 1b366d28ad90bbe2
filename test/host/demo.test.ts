/**
 * The README's demo (examples/demo/demo.ts) runs here against the consumer project the host tests
 * share, so the walkthrough a newcomer runs first cannot rot.
 */
import { describe, expect, inject, it } from "vitest";
import { runDemo } from "../../examples/demo/demo";

const consumer = inject("copassConsumerA");

describe("npm run demo", () => {
  it("walks preview, up, refresh (outage), healing up, token rotation and destroy, leaking no secret", async () => {
    const result = await runDemo({ consumerDir: consumer, print: () => {} });
    const text = result.lines.join("\n");

    expect(result.calls.map((c) => [c.step, c.operations])).toEqual([
      ["pulumi preview", []],
      ["pulumi up", ["list", "register"]],
      ["pulumi preview   # nothing changed", []],
      ["pulumi refresh", ["get", "test"]],
      ["pulumi preview   # health drift is a planned update", []],
      ["pulumi up", ["test"]],
      ["pulumi up", ["patch", "test"]],
      ["pulumi destroy", ["revoke"]],
    ]);
    expect(text).toContain('status="error" healthError="connection refused"');
    expect(text).toContain("8 Copass API calls in all");
    // The types a CLI prints, never a made-up `copass:UserMcpSource` (issue 25 §7).
    expect(text).toContain("  + pulumi-nodejs:dynamic/copass:UserMcpSource crm  create");
    expect(text).toContain("copass:index:UserMcpSource");
    expect(text).not.toMatch(/(?<![/:])copass:UserMcpSource/);
    for (const s of result.secrets) {
      expect(text).not.toContain(s);
      expect(result.hostOutput).not.toContain(s);
    }
  }, 120_000);
});

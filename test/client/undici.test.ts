/**
 * src/client/undici.ts loads undici's Agent, retry interceptor and request API from undici's own
 * files instead of its entry point (issue 18: 27 modules instead of 110). These tests hold that
 * the parts are undici's very objects, and that a release which moved a file only costs the lean
 * load, never the client. Requests through the parts are covered by test/client/client-http.test.ts.
 */
import { createRequire } from "node:module";
import * as undici from "undici";
import { describe, expect, it } from "vitest";
import { loadUndici } from "../../src/client/undici";

const requireHere = createRequire(__filename);

describe("loadUndici", () => {
  it("takes the Agent, the retry interceptor and request from undici's files, not its entry point", () => {
    const loaded: string[] = [];
    const parts = loadUndici((id) => {
      loaded.push(id);
      return requireHere(id);
    });
    // mutation: a misspelt path in undici.ts ("undici/lib/dispatcher/agents") → via is "entry" and
    // "undici" is loaded → this test fails.
    expect(parts.via).toBe("parts");
    expect(loaded).not.toContain("undici");
    // The same objects the entry point exports: the same undici, only fewer of its modules.
    expect(parts.Agent).toBe(undici.Agent);
    expect(parts.retry).toBe(undici.interceptors.retry);
  });

  it("falls back to undici's entry point when a release moved a file (played by a loader that throws)", () => {
    const moved = (id: string): unknown => {
      if (id === "undici/lib/interceptor/retry") {
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
      }
      return requireHere(id);
    };
    // mutation: rethrow every error in loadUndici's catch → this test fails with MODULE_NOT_FOUND.
    const parts = loadUndici(moved);
    expect(parts.via).toBe("entry");
    expect(parts.Agent).toBe(undici.Agent);
    expect(parts.retry).toBe(undici.interceptors.retry);
  });

  it("falls back when a file is still there but no longer exports a function", () => {
    // mutation: drop the `typeof part === "function"` check → via is "parts" → this test fails.
    const parts = loadUndici((id) => (id === "undici/lib/api/api-request" ? {} : requireHere(id)));
    expect(parts.via).toBe("entry");
  });

  it("does not hide other load errors", () => {
    const broken = (id: string): unknown => {
      if (id.startsWith("undici/lib/")) throw new SyntaxError("Unexpected token");
      return requireHere(id);
    };
    expect(() => loadUndici(broken)).toThrow(SyntaxError);
  });
});

import { describe, expect, it, vi } from "vitest";
import {
  CopassAuthError,
  CopassBadResponseError,
  CopassConfigError,
  CopassConflictError,
  CopassError,
  CopassNetworkError,
  CopassNotFoundError,
  CopassRateLimitedError,
  CopassServerError,
  CopassTimeoutError,
  CopassValidationError,
  errorClassForStatus,
  isCopassError,
  redact,
} from "../../src/client/errors";

// One row per class: its code, its name, the statuses that map to it, and whether a register that
// failed this way may have committed (and so must be reconciled by listing).
const table = [
  { Class: CopassError, code: "COPASS_HTTP", name: "CopassError", statuses: [302, 418] },
  {
    Class: CopassValidationError,
    code: "COPASS_VALIDATION",
    name: "CopassValidationError",
    statuses: [400, 422],
  },
  {
    Class: CopassAuthError,
    code: "COPASS_AUTH",
    name: "CopassAuthError",
    statuses: [401, 403],
  },
  {
    Class: CopassNotFoundError,
    code: "COPASS_NOT_FOUND",
    name: "CopassNotFoundError",
    statuses: [404],
  },
  {
    Class: CopassConflictError,
    code: "COPASS_CONFLICT",
    name: "CopassConflictError",
    statuses: [409],
  },
  {
    Class: CopassRateLimitedError,
    code: "COPASS_RATE_LIMITED",
    name: "CopassRateLimitedError",
    statuses: [429],
  },
  {
    Class: CopassServerError,
    code: "COPASS_SERVER",
    name: "CopassServerError",
    statuses: [500, 502, 503, 504],
  },
  {
    Class: CopassNetworkError,
    code: "COPASS_NETWORK",
    name: "CopassNetworkError",
    statuses: [],
  },
  {
    Class: CopassTimeoutError,
    code: "COPASS_TIMEOUT",
    name: "CopassTimeoutError",
    statuses: [],
  },
  {
    Class: CopassBadResponseError,
    code: "COPASS_BAD_RESPONSE",
    name: "CopassBadResponseError",
    statuses: [],
  },
] as const;

describe("CopassError hierarchy", () => {
  it.each(table)("$name has code $code, a name, data and the brand", ({ Class, code, name }) => {
    const cause = new Error("inner");
    const err = new Class("Copass get failed: x", {
      operation: "get",
      status: 503,
      apiError: "e",
      detail: "d",
      retryAfterMs: 1000,
      attempts: 2,
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(CopassError);
    expect(err.code).toBe(code);
    expect(err.name).toBe(name);
    expect(err.message).toBe("Copass get failed: x");
    expect({
      op: err.operation,
      st: err.status,
      ae: err.apiError,
      d: err.detail,
      ra: err.retryAfterMs,
    }).toEqual({
      op: "get",
      st: 503,
      ae: "e",
      d: "d",
      ra: 1000,
    });
    expect(err.attempts).toBe(2);
    expect(err.cause).toBe(cause);
    expect(isCopassError(err)).toBe(true);
  });

  it.each(table.flatMap((row) => row.statuses.map((status) => ({ status, row }))))(
    "HTTP $status maps to $row.name",
    ({ status, row }) => {
      expect(errorClassForStatus(status)).toBe(row.Class);
    },
  );

  it("maps a 400 namespace_conflict to a conflict, other 400 codes to validation", () => {
    expect(errorClassForStatus(400, "namespace_conflict")).toBe(CopassConflictError);
    expect(errorClassForStatus(422, "namespace_conflict")).toBe(CopassConflictError);
    expect(errorClassForStatus(400, "invalid_base_url")).toBe(CopassValidationError);
  });

  it("answers instanceof across a second loaded copy of the module (Symbol.hasInstance)", async () => {
    vi.resetModules();
    const copy = await import("../../src/client/errors");
    expect(copy.CopassError).not.toBe(CopassError);
    const foreign = new copy.CopassNotFoundError("Copass get failed: HTTP 404", {
      operation: "get",
      status: 404,
    });
    expect(foreign).toBeInstanceOf(CopassNotFoundError);
    expect(foreign).toBeInstanceOf(CopassError);
    expect(foreign).toBeInstanceOf(Error);
    expect(foreign).not.toBeInstanceOf(CopassServerError);
    expect(isCopassError(foreign)).toBe(true);
    expect(new CopassServerError("s", { operation: "list" })).toBeInstanceOf(copy.CopassServerError);
    expect(new CopassServerError("s", { operation: "list" })).not.toBeInstanceOf(copy.CopassNotFoundError);
    expect(new copy.CopassConfigError("bad url")).toBeInstanceOf(CopassConfigError);
    expect(new copy.CopassConfigError("bad url")).not.toBeInstanceOf(CopassError);
  });

  it("brands a subclass defined outside the package, and its instances are CopassErrors", () => {
    class MyError extends CopassTimeoutError {}
    const mine = new MyError("t", { operation: "get" });
    expect(mine).toBeInstanceOf(MyError);
    expect(mine).toBeInstanceOf(CopassTimeoutError);
    expect(mine).toBeInstanceOf(CopassError);
    expect(new CopassTimeoutError("t", { operation: "get" })).not.toBeInstanceOf(MyError);
  });

  it("does not brand plain errors, look-alikes or config errors", () => {
    expect(isCopassError(new Error("x"))).toBe(false);
    expect(isCopassError({ code: "COPASS_NOT_FOUND" })).toBe(false);
    expect(isCopassError(null)).toBe(false);
    expect(isCopassError(new CopassConfigError("bad url"))).toBe(false);
    expect(new CopassConfigError("bad url").code).toBe("COPASS_CONFIG");
  });
});

describe("redact", () => {
  it.each([
    { text: "key olk_secret123 leaked", secrets: ["olk_secret123"], out: "key [redacted] leaked" },
    { text: "tok-abcd tok-abcd", secrets: ["tok-abcd"], out: "[redacted] [redacted]" },
    { text: "a olk_k and mcp_t", secrets: ["olk_k_long", "mcp_t_long"], out: "a olk_k and mcp_t" },
    {
      text: "both olk_AAAA mcp_BBBB",
      secrets: ["olk_AAAA", undefined, "mcp_BBBB"],
      out: "both [redacted] [redacted]",
    },
    // URL-encoded and JSON-escaped echoes are cut out too.
    { text: "GET /mcp?t=a%2Fb%20c%3D", secrets: ["a/b c="], out: "GET /mcp?t=[redacted]" },
    { text: 'body {"t":"q\\"uote"}', secrets: ['q"uote'], out: 'body {"t":"[redacted]"}' },
    // A secret shorter than 4 characters cannot be cut out of words: a text containing it is
    // withheld whole; a text without it is left alone; an empty secret is no secret.
    { text: "401: bad token xy", secrets: ["xy"], out: "[message withheld: it may contain a secret]" },
    { text: "401: bad token", secrets: ["q7", ""], out: "401: bad token" },
  ])("redact($text) = $out", ({ text, secrets, out }) => {
    expect(redact(text, secrets)).toBe(out);
  });
});

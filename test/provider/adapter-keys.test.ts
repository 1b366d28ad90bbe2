/**
 * Read's type checks of `adapter_config` keys (src/provider/adapter-keys.ts) are plain predicates
 * so that the provider's load does not build the client's wire schemas (issue 18). They must say
 * what `userMcpAdapterConfigSchema` says, key by key, on the JSON values a server can send.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AUTH_KINDS, userMcpAdapterConfigSchema } from "../../src/client/types";
import { ADAPTER_KEY_CHECKS } from "../../src/provider/adapter-keys";

const shape = userMcpAdapterConfigSchema.shape;

/** JSON values, with the near misses of each key's type over-represented. */
const arbValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(...AUTH_KINDS, "Bearer", "", 0, 1.5, -1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e300, true),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
  fc.array(
    fc.oneof(
      fc.record(
        {
          name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          arguments: fc.oneof(
            fc.constant(null),
            fc.dictionary(fc.string(), fc.jsonValue()),
            fc.array(fc.jsonValue()),
            fc.string(),
          ),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
  ),
);

describe("ADAPTER_KEY_CHECKS", () => {
  it("has a check for every key of userMcpAdapterConfigSchema, and no other", () => {
    // mutation: add a key to userMcpAdapterConfigSchema (or delete one here) → this fails.
    expect(Object.keys(ADAPTER_KEY_CHECKS).sort()).toEqual(Object.keys(shape).sort());
  });

  it.each(Object.keys(shape))(
    "accepts exactly what the schema accepts for %s, on JSON values other than null",
    (key) => {
      const schema = shape[key as keyof typeof shape];
      const check = ADAPTER_KEY_CHECKS[key]!;
      // mutation: Number.isInteger for Number.isSafeInteger in adapter-keys.ts → 2 ** 53 is an
      // integer zod rejects → this fails (as does dropping the `arguments` or `name` check).
      fc.assert(
        fc.property(
          arbValue.filter((value) => value !== null),
          (value) => check(value) === schema.safeParse(value).success,
        ),
        { numRuns: 500, examples: [[2 ** 53], [[{ name: "n", arguments: [] }]], [[{ arguments: {} }]]] },
      );
    },
  );
});

/**
 * The resource's typed args (src/resource.ts, for the program) and the provider's field table
 * (src/provider/schema.ts, for check/diff/docs) are two declarations of DESIGN §1's inputs; the
 * compiler holds them together here (`npm test` typechecks this file), and the runtime test
 * checks the names too.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { UserMcpSourceArgs } from "../src/resource";
import { FIELD_NAMES, type FieldName, type UserMcpSourceInputs } from "../src/provider/schema";

describe("UserMcpSourceArgs", () => {
  it("declares exactly the inputs of the field table", () => {
    expectTypeOf<keyof UserMcpSourceArgs>().toEqualTypeOf<FieldName>();
    expectTypeOf<keyof UserMcpSourceArgs>().toEqualTypeOf<keyof UserMcpSourceInputs>();
    expect(FIELD_NAMES).toHaveLength(16);
  });

  it("requires the same inputs the field table requires", () => {
    type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T];
    expectTypeOf<RequiredKeys<UserMcpSourceArgs>>().toEqualTypeOf<RequiredKeys<UserMcpSourceInputs>>();
  });
});

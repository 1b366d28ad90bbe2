/**
 * The serialized provider (DESIGN §4). Pulumi writes this object's code into the `__provider`
 * input of every `UserMcpSource`, and the dynamic-provider host evaluates it in the program's
 * folder. Each method requires the installed package by name *at call time*, so:
 *
 * - the serialized text captures nothing: no zod schemas or undici agents (which do not
 *   serialize), no paths (state moves between machines), no config or secrets (never in state);
 * - refresh and destroy run the version installed now, not code frozen in state.
 *
 * Keep it this small. The `require` argument must stay a string literal: the serializer keeps
 * literal requires as they are, and the host resolves them from the program's folder. A test
 * (test/host/serialization.test.ts) holds the text under 2 KB and free of paths and secrets.
 */
import type * as pulumi from "@pulumi/pulumi";

type Provider = Required<pulumi.dynamic.ResourceProvider>;

/**
 * The one instance every resource shares: the SDK caches serialization per provider object, so a
 * new shim per resource would re-serialize (10–400 ms) each time.
 *
 * A plain object of arrow functions rather than a class: the serializer emits every function with
 * ~170 bytes of wrapper and a class adds its prototype and constructor, which took the same seven
 * methods to 3.4 KB (class methods) or 2.4 KB (class fields); this shape is just under 2 KB.
 */
export const providerShim: Provider = {
  configure: (...a) => require("pulumi-copass/provider").provider.configure(...a),
  check: (...a) => require("pulumi-copass/provider").provider.check(...a),
  diff: (...a) => require("pulumi-copass/provider").provider.diff(...a),
  create: (...a) => require("pulumi-copass/provider").provider.create(...a),
  read: (...a) => require("pulumi-copass/provider").provider.read(...a),
  update: (...a) => require("pulumi-copass/provider").provider.update(...a),
  delete: (...a) => require("pulumi-copass/provider").provider.delete(...a),
};

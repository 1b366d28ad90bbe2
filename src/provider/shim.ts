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

export class CopassProviderShim implements Provider {
  configure(...args: Parameters<Provider["configure"]>): ReturnType<Provider["configure"]> {
    return require("pulumi-copass/provider").provider.configure(...args);
  }
  check(...args: Parameters<Provider["check"]>): ReturnType<Provider["check"]> {
    return require("pulumi-copass/provider").provider.check(...args);
  }
  diff(...args: Parameters<Provider["diff"]>): ReturnType<Provider["diff"]> {
    return require("pulumi-copass/provider").provider.diff(...args);
  }
  create(...args: Parameters<Provider["create"]>): ReturnType<Provider["create"]> {
    return require("pulumi-copass/provider").provider.create(...args);
  }
  read(...args: Parameters<Provider["read"]>): ReturnType<Provider["read"]> {
    return require("pulumi-copass/provider").provider.read(...args);
  }
  update(...args: Parameters<Provider["update"]>): ReturnType<Provider["update"]> {
    return require("pulumi-copass/provider").provider.update(...args);
  }
  delete(...args: Parameters<Provider["delete"]>): ReturnType<Provider["delete"]> {
    return require("pulumi-copass/provider").provider.delete(...args);
  }
}

/**
 * The one instance every resource shares: the SDK caches serialization per provider object, so a
 * new shim per resource would re-serialize (10–400 ms) each time.
 */
export const providerShim = new CopassProviderShim();

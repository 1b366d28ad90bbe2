/**
 * The resource's constructor contract, under Pulumi's mocks (they run no provider method and
 * apply no resource option, so this checks what the program hands the engine). The package and
 * `@pulumi/pulumi` come from the consumer project, as in a user's program.
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";

/* eslint-disable @typescript-eslint/no-explicit-any -- the consumer's copies are loaded untyped */
type Pulumi = typeof import("@pulumi/pulumi");
type Package = typeof import("../../src/index");

const secretSig = "4dabf18193072939515e22adb298388d";
const consumer = inject("copassConsumerA");

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

describe("UserMcpSource under mocks", () => {
  let pulumi: Pulumi;
  let pkg: Package;
  const registered: Registered[] = [];

  beforeAll(() => {
    const fromConsumer = createRequire(path.join(consumer, "package.json"));
    pulumi = fromConsumer("@pulumi/pulumi") as Pulumi;
    pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call() {
          throw new Error("Mock not implemented: no invokes expected");
        },
      },
      "copass-options",
      "dev",
      false,
    );
    pkg = fromConsumer("pulumi-copass") as Package;
  });

  const args = {
    sandboxId: "sb_opts",
    name: "CRM tools",
    baseUrl: "https://mcp.example.com/mcp",
    authKind: "bearer" as const,
    token: "tok_OPTIONS_plain_string_9d1e",
  };

  /** Creates a resource and resolves once the mock monitor registered it. */
  function create(
    name: string,
    a: import("../../src/index").UserMcpSourceArgs = args,
    opts: Record<string, unknown> = {},
  ) {
    let captured: any;
    const res = new pkg.UserMcpSource(name, a, {
      ...opts,
      transformations: [
        (t: any) => {
          captured = t.opts;
          return undefined;
        },
      ],
    });
    const registeredP = new Promise<Registered>((resolve) =>
      res.id.apply(() => resolve(registered.find((r) => r.name === name)!)),
    );
    return { res, registeredP, opts: () => captured };
  }

  it("asks the engine to keep token a secret output, and keeps the user's own options", async () => {
    const { registeredP, opts } = create("with-options", args, {
      protect: true,
      ignoreChanges: ["name"],
      additionalSecretOutputs: ["name"],
    });
    await registeredP;
    const o = opts();
    expect(o.additionalSecretOutputs).toEqual(expect.arrayContaining(["token", "name"]));
    expect(o.protect).toBe(true);
    expect(o.ignoreChanges).toEqual(["name"]);
  });

  it("marks token secret without any user options", async () => {
    const { registeredP, opts } = create("no-options");
    await registeredP;
    expect(opts().additionalSecretOutputs).toContain("token");
  });

  it("registers token as a secret even when the program passes a plain string", async () => {
    const r = await create("plain-token").registeredP;
    expect(r.inputs.token).toEqual({ [secretSig]: "1b47061264138c4ac30d75fd1eb44270", value: args.token });
  });

  it("registers under the type token of DESIGN §1, with the serialized provider", async () => {
    const r = await create("type-token").registeredP;
    expect(r.type).toBe("pulumi-nodejs:dynamic/copass:UserMcpSource");
    expect(typeof r.inputs.__provider).toBe("string");
    expect(r.inputs.__provider).not.toContain(args.token);
  });

  it("exposes the output-only keys as outputs", async () => {
    const { res, registeredP } = create("output-keys");
    await registeredP;
    for (const key of ["dataSourceId", "status", "healthError", "ingestionMode", "appNamespace", "token"]) {
      expect(pulumi.Output.isInstance((res as any)[key]), key).toBe(true);
    }
    // The mock echoes inputs as state, so an input-backed output resolves to the input.
    const name = await new Promise((r) => res.name.apply(r));
    expect(name).toBe(args.name);
  });

  it("leaves the caller's args object untouched, so one object can declare two resources", async () => {
    const shared = { ...args };
    await Promise.all([create("shared-1", shared).registeredP, create("shared-2", shared).registeredP]);
    expect(Object.keys(shared)).not.toContain("__provider");
    expect(shared.token).toBe(args.token);
  });

  it("sends a token Output that resolves to undefined as a secret null (check reads it as absent)", async () => {
    const { token: _t, ...rest } = args;
    const r = await create("undefined-token-output", {
      ...rest,
      authKind: "none",
      token: pulumi.output(undefined as unknown as string),
    }).registeredP;
    expect(r.inputs.token).toEqual({ [secretSig]: "1b47061264138c4ac30d75fd1eb44270", value: null });
  });

  it("sends no token key when authKind is none", async () => {
    const { token: _t, ...rest } = args;
    const r = await create("no-token", { ...rest, authKind: "none" }).registeredP;
    expect(r.inputs.token).toBeUndefined();
  });
});

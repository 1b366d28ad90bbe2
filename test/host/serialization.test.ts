/**
 * Serialization gate (DESIGN §4, §6): the `__provider` text the SDK writes into state is the tiny
 * shim, captured in a consumer project exactly as a user's program would produce it.
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { execFileSync } from "node:child_process";
import {
  bareDynamicResourceStderr,
  captureProviderText,
  hostNode,
  pulumiVersion,
  type Capture,
} from "../support/pulumi-host";

const token = "tok_SERIALIZE_7f3a9c_do_not_leak";
const apiKey = "olk_SERIALIZE_KEY_41c2e8_do_not_leak";
const consumer = inject("copassConsumerA");

describe("the serialized provider", () => {
  let capture: Capture;
  beforeAll(async () => {
    capture = await captureProviderText(consumer, { token, apiKey });
  });

  it("is written by the Node the run asked for (COPASS_TEST_NODE)", () => {
    expect(capture.nodeVersion).toBe(execFileSync(hostNode, ["--version"], { encoding: "utf8" }).trim());
    console.log(`serialized by @pulumi/pulumi ${pulumiVersion} on Node ${capture.nodeVersion}`);
  });

  it("is at most 2 KB", () => {
    const bytes = Buffer.byteLength(capture.providerText, "utf8");
    console.log(`__provider: ${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(2048);
  });

  it("captured no secret, so the SDK did not have to encrypt it", () => {
    expect(capture.providerIsSecret).toBe(false);
  });

  it("contains no absolute path, so state moves between machines", () => {
    for (const p of ["/tmp", "/work", "/home", "/root", "/Users", consumer, path.dirname(consumer)]) {
      expect(capture.providerText).not.toContain(p);
    }
  });

  it("contains neither the resource's token nor the API key from the environment", () => {
    expect(capture.providerText).not.toContain(token);
    expect(capture.providerText).not.toContain(apiKey);
  });

  it("requires the installed package by name", () => {
    expect(capture.providerText).toContain('require("pulumi-copass/provider")');
  });

  it("round-trips through require-from-string to an object with the seven methods", () => {
    const fromPulumi = createRequire(
      path.join(consumer, "node_modules", "@pulumi", "pulumi", "package.json"),
    );
    const requireFromString = fromPulumi("require-from-string") as (code: string) => {
      handler: () => unknown;
    };
    const provider = requireFromString(capture.providerText).handler() as Record<string, unknown>;
    for (const m of ["configure", "check", "diff", "create", "read", "update", "delete"]) {
      expect(typeof provider[m], m).toBe("function");
    }
  });

  it("adds nothing to the program's stderr that a bare dynamic resource does not print", async () => {
    // On Node 26 the SDK's serializer prints an FFI ExperimentalWarning for any dynamic provider
    // (README, troubleshooting); whatever this Node prints, the package must not add to it.
    const pid = (text: string) => text.replace(/\(node:\d+\)/g, "(node:PID)");
    expect(pid(capture.stderr)).toBe(pid(await bareDynamicResourceStderr(consumer)));
  });

  it("uses the dynamic type token of DESIGN §1", () => {
    expect(capture.type).toBe("pulumi-nodejs:dynamic/copass:UserMcpSource");
  });
});

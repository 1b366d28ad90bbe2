/**
 * Packs the package once per run and installs it into two throwaway consumer projects (A, and B
 * for the portability test), shared with the host and package tests through `provide`/`inject`.
 *
 * The work (~build + two offline npm installs) is skipped when the run is filtered to files that
 * are neither host, plugin nor package tests, so unit-test runs do not pay for it. `npm run test:matrix`
 * installs one consumer per SDK version itself and passes it in `COPASS_TEST_CONSUMER`: that folder
 * is A, and B is "" (the matrix runs no test that needs two projects, nor the tarball).
 */
import type { TestProject } from "vitest/node";
import { installConsumer, packPackage, removeTemp } from "./support/pulumi-host";
import * as path from "node:path";

declare module "vitest" {
  export interface ProvidedContext {
    /** Consumer project folder with pulumi-copass installed ("" when host tests do not run). */
    copassConsumerA: string;
    /** A second, independent consumer project folder ("" when COPASS_TEST_CONSUMER gives A). */
    copassConsumerB: string;
    /** The tarball `npm pack` made, installed in both consumers ("" when not packed). */
    copassTarball: string;
  }
}

function packedTestsSelected(project: TestProject): boolean {
  // `filenamePattern` is the CLI filter (`vitest run test/host`); undefined means every file.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (!filters || filters.length === 0) return true;
  return filters.some((f) =>
    ["host", "package", "plugin"].some(
      (dir) => f.includes(dir) || `test/${dir}/`.includes(f.replace(/^\.\//, "")),
    ),
  );
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!packedTestsSelected(project)) {
    project.provide("copassConsumerA", "");
    project.provide("copassConsumerB", "");
    project.provide("copassTarball", "");
    return async () => {};
  }
  const given = process.env.COPASS_TEST_CONSUMER;
  if (given) {
    project.provide("copassConsumerA", given);
    project.provide("copassConsumerB", "");
    project.provide("copassTarball", "");
    return async () => {};
  }
  const started = Date.now();
  const tgz = await packPackage();
  const [a, b] = await Promise.all([installConsumer(tgz, "consumer-a"), installConsumer(tgz, "consumer-b")]);
  process.stderr.write(`[host setup] packed and installed twice in ${Date.now() - started} ms\n`);
  project.provide("copassConsumerA", a);
  project.provide("copassConsumerB", b);
  project.provide("copassTarball", tgz);
  return async () => {
    await Promise.all([removeTemp(a), removeTemp(b), removeTemp(path.dirname(tgz))]);
  };
}

/**
 * What the release tests of issue 23 share: a PATH with no `node` on it (the CLI, its hosts and
 * what the program needs, nothing else), and a loopback HTTP server that serves release/ the way
 * GitHub's release downloads do, with Content-Length (the CLI refuses a chunked answer: "expected
 * -1 bytes but copied N").
 */
import { accessSync, constants, createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

/** Where `name` resolves on `PATH` (an executable file), as a shell would find it; undefined when nowhere. */
export function resolve(name: string, PATH: string): string | undefined {
  for (const dir of PATH.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * A PATH of exactly `dirs`. Throws when `node` or a `pulumi-resource-copass` resolves on it: the
 * tests prove that the release runs with no Node.js, and with the plugin the CLI installed, not
 * one it found on PATH.
 */
export function pathWithoutNode(dirs: string[]): string {
  const PATH = dirs.join(path.delimiter);
  for (const name of ["node", "pulumi-resource-copass"]) {
    const found = resolve(name, PATH);
    if (found) throw new Error(`${name} resolves on the test's PATH (${found}); the PATH was ${PATH}`);
  }
  return PATH;
}

export interface ReleaseServer {
  /** `http://127.0.0.1:PORT/`, a pluginDownloadURL. */
  url: string;
  /** The path of every request, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves the files of `dir` (flat, as a GitHub release) on loopback; 404 for anything else. */
export async function serveRelease(dir: string): Promise<ReleaseServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
    requests.push(`/${name}`);
    const file = path.join(dir, name);
    let size: number;
    try {
      if (name.includes("/") || name === "") throw new Error("not a release file");
      size = statSync(file).size;
    } catch {
      res.writeHead(404, { "content-length": "0" }).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/gzip", "content-length": String(size) });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

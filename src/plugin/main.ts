#!/usr/bin/env node
/**
 * `pulumi-resource-copass`: the `copass` resource-provider plugin, which Pulumi starts for a YAML,
 * Python, Go (or any) program that uses `copass:index:UserMcpSource`. The engine finds it on PATH
 * (docs/other-languages.md), runs it with its own address as the argument, and
 * reads the port this process serves on from its first line of stdout.
 *
 * This is the npm-installed plugin: gRPC from the `@pulumi/pulumi` peer, version and schema from
 * the package's files. A release's executable starts the same server from executable.ts.
 *
 * The handshake is all that happens at start: the core (and zod) load on the first call that needs
 * them (handlers.ts).
 */
import { fromPackageFiles } from "./plugin-info";
import { ofPulumiPeer } from "./rpc-modules";
import { start } from "./start";

start(ofPulumiPeer(), fromPackageFiles());

/**
 * The gRPC runtime and the protobuf stubs the plugin serves with, obtained two ways from one list:
 *
 * - the npm-installed plugin (main.ts) takes `@pulumi/pulumi`'s own copies (`ofPulumiPeer`): they
 *   are that package's dependencies, not ours, so they are resolved from its folder;
 * - the release executable (executable.ts) requires them by name, so the bundler sees and embeds
 *   them (DESIGN §4 "Installed like every registry provider"): nothing is read beside it.
 *
 * grpc-server.ts takes them as an argument and knows neither way.
 */
import { createRequire } from "node:module";
import type * as GrpcModule from "@grpc/grpc-js";
import type * as ProviderPb from "@pulumi/pulumi/proto/provider_pb";
import type * as ProviderGrpcPb from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as PluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as StatusPb from "@pulumi/pulumi/proto/status_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as AnyPb from "google-protobuf/google/protobuf/any_pb";

export interface RpcModules {
  grpc: typeof GrpcModule;
  providerPb: typeof ProviderPb;
  providerGrpc: typeof ProviderGrpcPb;
  pluginPb: typeof PluginPb;
  statusPb: typeof StatusPb;
  structPb: typeof StructPb;
  emptyPb: typeof EmptyPb;
  anyPb: typeof AnyPb;
}

/** The module names of each part, as `@pulumi/pulumi` names them. */
export const RPC_MODULE_IDS: Record<keyof RpcModules, string> = {
  grpc: "@grpc/grpc-js",
  providerPb: "@pulumi/pulumi/proto/provider_pb",
  providerGrpc: "@pulumi/pulumi/proto/provider_grpc_pb",
  pluginPb: "@pulumi/pulumi/proto/plugin_pb",
  statusPb: "@pulumi/pulumi/proto/status_pb",
  structPb: "google-protobuf/google/protobuf/struct_pb",
  emptyPb: "google-protobuf/google/protobuf/empty_pb",
  anyPb: "google-protobuf/google/protobuf/any_pb",
};

/** The copies `@pulumi/pulumi` (our peer) loads, so the service definition and the server are one grpc. */
export function ofPulumiPeer(): RpcModules {
  const fromPulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
  const entries = Object.entries(RPC_MODULE_IDS).map(([key, id]) => [key, fromPulumi(id)]);
  return Object.fromEntries(entries) as RpcModules;
}

/**
 * The release executable's entry (scripts/dist.mjs bundles it with everything it requires into one
 * file, then into a Node single executable application): the same server as the npm plugin
 * (main.ts), with its modules required by name, so the bundler embeds them, and the version and
 * schema.json embedded at build time, since nothing lies beside the executable.
 *
 * Not part of the npm package (tsconfig.build.json leaves it out): these requires name
 * `@pulumi/pulumi`'s dependencies, which an npm install does not promise at the top level.
 */
import type { RpcModules } from "./rpc-modules";
import { start } from "./start";

// Replaced by the bundler (scripts/dist.mjs `define`): package.json's version, schema.json's text.
declare const COPASS_PLUGIN_VERSION: string;
declare const COPASS_SCHEMA_TEXT: string;

// The names of rpc-modules.ts RPC_MODULE_IDS, written out: a bundler follows only literal requires.
const modules: RpcModules = {
  grpc: require("@grpc/grpc-js"),
  providerPb: require("@pulumi/pulumi/proto/provider_pb"),
  providerGrpc: require("@pulumi/pulumi/proto/provider_grpc_pb"),
  pluginPb: require("@pulumi/pulumi/proto/plugin_pb"),
  statusPb: require("@pulumi/pulumi/proto/status_pb"),
  structPb: require("google-protobuf/google/protobuf/struct_pb"),
  emptyPb: require("google-protobuf/google/protobuf/empty_pb"),
  anyPb: require("google-protobuf/google/protobuf/any_pb"),
};

start(modules, { version: COPASS_PLUGIN_VERSION, schemaText: () => COPASS_SCHEMA_TEXT });

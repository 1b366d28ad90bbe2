/**
 * Public API of `pulumi-copass`: the `UserMcpSource` resource and its argument types.
 * The provider itself is the `pulumi-copass/provider` entry point, loaded by the shim at call time.
 */
export { UserMcpSource } from "./resource";
export type {
  UserMcpSourceArgs,
  UserMcpAuthKind,
  UserMcpHealthPolicy,
  UserMcpDeletionPolicy,
  UserMcpIngestToolCall,
} from "./resource";
// TODO: re-export the Copass client's public names (`export * from "./client"`) once
// src/client/index.ts lands.

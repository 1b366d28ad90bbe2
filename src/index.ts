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
// The Copass REST client, its errors (match on `code`) and wire types.
export * from "./client";

/**
 * Public API of `pulumi-copass`: the `UserMcpSource` resource and its argument and output types.
 * Nothing here reaches zod's declarations, so a program type-checks under Pulumi's template
 * tsconfig (no esModuleInterop, no skipLibCheck). The Copass REST client is the
 * `pulumi-copass/client` entry point; the provider, `pulumi-copass/provider`, is loaded by the
 * shim at call time.
 */
export { UserMcpSource } from "./resource";
export type {
  UserMcpSourceArgs,
  UserMcpSourceStatus,
  UserMcpAuthKind,
  UserMcpHealthPolicy,
  UserMcpDeletionPolicy,
  UserMcpIngestToolCall,
} from "./resource";

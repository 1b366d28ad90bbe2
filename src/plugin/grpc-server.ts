/**
 * The gRPC face of the plugin: Pulumi's ResourceProvider service, served with the generated stubs
 * and `@grpc/grpc-js` handed to `serve` (rpc-modules.ts says from where), and answering
 * GetPluginInfo and GetSchema from the `PluginInfo` handed in too. Each method converts protobuf to
 * plain JSON, calls handlers.ts, and converts back; nothing else.
 *
 * Why not `@pulumi/pulumi/provider`'s `main`: its Configure never hands the provider its config,
 * its Diff has no detailed diff (so a preview could not name what changes), and it has no
 * CheckConfig or DiffConfig.
 */
import type * as GrpcModule from "@grpc/grpc-js";
import type * as ProviderPb from "@pulumi/pulumi/proto/provider_pb";
import type * as ProviderGrpcPb from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as PluginPb from "@pulumi/pulumi/proto/plugin_pb";
import type * as StatusPb from "@pulumi/pulumi/proto/status_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as AnyPb from "google-protobuf/google/protobuf/any_pb";
import { handlers, PluginInitError } from "./handlers";
import type { PluginInfo } from "./plugin-info";
import type { RpcModules } from "./rpc-modules";
import type { PropertyChange } from "../provider/diff";

// Bound by `serve` (rpc-modules.ts: @pulumi/pulumi's copies for the npm plugin, the bundled ones
// for the release executable), before any call can reach the functions below.
let grpc: typeof GrpcModule;
let providerPb: typeof ProviderPb;
let providerGrpc: typeof ProviderGrpcPb;
let pluginPb: typeof PluginPb;
let statusPb: typeof StatusPb;
let structPb: typeof StructPb;
let emptyPb: typeof EmptyPb;
let anyPb: typeof AnyPb;

type Props = Record<string, unknown>;
type Callback<T> = (error: Partial<GrpcModule.StatusObject> | null, value?: T | null) => void;

function toStruct(value: Props): StructPb.Struct {
  return structPb.Struct.fromJavaScript(value as Record<string, StructPb.JavaScriptValue>);
}

function fromStruct(value: StructPb.Struct | undefined): Props {
  return (value?.toJavaScript() ?? {}) as Props;
}

/** A thrown error as the engine reads it; a source kept in state travels as ErrorResourceInitFailed. */
function grpcError(error: unknown): Partial<GrpcModule.StatusObject> {
  const message = error instanceof Error ? error.message : String(error);
  const metadata = new grpc.Metadata();
  if (error instanceof PluginInitError) {
    const detail = new providerPb.ErrorResourceInitFailed();
    detail.setId(error.id);
    detail.setProperties(toStruct(error.properties));
    detail.setReasonsList(error.reasons);
    const status = new statusPb.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    const any = new anyPb.Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    status.addDetails(any);
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
  }
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}

/** Runs `answer` and hands its value, or its error, to the gRPC callback. */
function reply<T>(callback: Callback<T>, answer: () => Promise<T> | T): void {
  Promise.resolve()
    .then(answer)
    .then(
      (value) => callback(null, value),
      (error: unknown) => callback(grpcError(error)),
    );
}

const KIND = {
  add: [0, 1], // ADD, ADD_REPLACE
  delete: [2, 3], // DELETE, DELETE_REPLACE
  update: [4, 5], // UPDATE, UPDATE_REPLACE
} as const;

function propertyDiff(change: PropertyChange): ProviderPb.PropertyDiff {
  const diff = new providerPb.PropertyDiff();
  diff.setKind(KIND[change.kind][change.replace ? 1 : 0] as ProviderPb.PropertyDiff.Kind);
  diff.setInputdiff(change.output !== true);
  return diff;
}

type Call<T> = { request: T };

/** The service implementation; methods it lacks answer UNIMPLEMENTED (grpc-js does that). */
function service(info: PluginInfo) {
  const empty = () => new emptyPb.Empty();
  return {
    getPluginInfo(_call: unknown, callback: Callback<PluginPb.PluginInfo>) {
      reply(callback, () => new pluginPb.PluginInfo().setVersion(info.version));
    },
    getSchema(call: Call<ProviderPb.GetSchemaRequest>, callback: Callback<ProviderPb.GetSchemaResponse>) {
      reply(callback, () => {
        if (call.request.getVersion() !== 0)
          throw new Error(`unsupported schema version ${call.request.getVersion()}`);
        return new providerPb.GetSchemaResponse().setSchema(info.schemaText());
      });
    },
    // The config needs no check of its own: a bad URL or a missing key fails the first call that
    // needs it, naming the setting (config.ts), and the environment may still supply the key then.
    checkConfig(call: Call<ProviderPb.CheckRequest>, callback: Callback<ProviderPb.CheckResponse>) {
      reply(callback, () => new providerPb.CheckResponse().setInputs(call.request.getNews()));
    },
    // A settings change is an update of the provider, never a replacement: a replaced provider would
    // replace every source under it. Whether the sources still live at the new endpoint is the core's
    // check (location.ts), made on the next call that reaches Copass.
    diffConfig(call: Call<ProviderPb.DiffRequest>, callback: Callback<ProviderPb.DiffResponse>) {
      reply(callback, () => {
        const changed = handlers.configChanged(
          fromStruct(call.request.getOlds()),
          fromStruct(call.request.getNews()),
        );
        return new providerPb.DiffResponse()
          .setChanges(
            changed.length > 0
              ? providerPb.DiffResponse.DiffChanges.DIFF_SOME
              : providerPb.DiffResponse.DiffChanges.DIFF_NONE,
          )
          .setDiffsList(changed);
      });
    },
    configure(call: Call<ProviderPb.ConfigureRequest>, callback: Callback<ProviderPb.ConfigureResponse>) {
      reply(callback, () => {
        const variables = Object.fromEntries(call.request.getVariablesMap().toArray()) as Record<
          string,
          string
        >;
        const args = call.request.getArgs();
        handlers.configure(args === undefined ? undefined : fromStruct(args), variables);
        return new providerPb.ConfigureResponse()
          .setAcceptsecrets(true)
          .setAcceptresources(false)
          .setAcceptoutputs(false)
          .setSupportspreview(false);
      });
    },
    check(call: Call<ProviderPb.CheckRequest>, callback: Callback<ProviderPb.CheckResponse>) {
      reply(callback, async () => {
        const { inputs, failures } = await handlers.check(fromStruct(call.request.getNews()));
        return new providerPb.CheckResponse()
          .setInputs(toStruct(inputs))
          .setFailuresList(
            failures.map((f) => new providerPb.CheckFailure().setProperty(f.property).setReason(f.reason)),
          );
      });
    },
    diff(call: Call<ProviderPb.DiffRequest>, callback: Callback<ProviderPb.DiffResponse>) {
      reply(callback, async () => {
        const result = await handlers.diff(
          fromStruct(call.request.getOlds()),
          fromStruct(call.request.getNews()),
        );
        const response = new providerPb.DiffResponse()
          .setChanges(
            result.changes
              ? providerPb.DiffResponse.DiffChanges.DIFF_SOME
              : providerPb.DiffResponse.DiffChanges.DIFF_NONE,
          )
          .setReplacesList(result.replaces ?? [])
          .setDeletebeforereplace(result.deleteBeforeReplace === true)
          .setDiffsList(Object.keys(result.properties))
          .setHasdetaileddiff(true);
        const detailed = response.getDetaileddiffMap();
        for (const [name, change] of Object.entries(result.properties))
          detailed.set(name, propertyDiff(change));
        return response;
      });
    },
    create(call: Call<ProviderPb.CreateRequest>, callback: Callback<ProviderPb.CreateResponse>) {
      reply(callback, async () => {
        const { id, outs } = await handlers.create(fromStruct(call.request.getProperties()));
        return new providerPb.CreateResponse().setId(id).setProperties(toStruct(outs));
      });
    },
    read(call: Call<ProviderPb.ReadRequest>, callback: Callback<ProviderPb.ReadResponse>) {
      reply(callback, async () => {
        const { request } = call;
        const result = await handlers.read(
          request.getId(),
          fromStruct(request.getProperties()),
          fromStruct(request.getInputs()),
        );
        const response = new providerPb.ReadResponse().setId(result.id);
        if (result.props) response.setProperties(toStruct(result.props));
        if (result.inputs) response.setInputs(toStruct(result.inputs));
        return response;
      });
    },
    update(call: Call<ProviderPb.UpdateRequest>, callback: Callback<ProviderPb.UpdateResponse>) {
      reply(callback, async () => {
        const { request } = call;
        const outs = await handlers.update(
          request.getId(),
          fromStruct(request.getOlds()),
          fromStruct(request.getNews()),
        );
        return new providerPb.UpdateResponse().setProperties(toStruct(outs));
      });
    },
    delete(call: Call<ProviderPb.DeleteRequest>, callback: Callback<EmptyPb.Empty>) {
      reply(callback, async () => {
        await handlers.delete(call.request.getId(), fromStruct(call.request.getProperties()));
        return empty();
      });
    },
    cancel(_call: unknown, callback: Callback<EmptyPb.Empty>) {
      reply(callback, empty);
    },
    attach(_call: unknown, callback: Callback<EmptyPb.Empty>) {
      reply(callback, empty);
    },
  };
}

/** Starts the server on a loopback port and resolves with the port (the engine reads it from stdout). */
export function serve(
  modules: RpcModules,
  info: PluginInfo,
): Promise<{ port: number; server: GrpcModule.Server }> {
  ({ grpc, providerPb, providerGrpc, pluginPb, statusPb, structPb, emptyPb, anyPb } = modules);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
  });
  server.addService(
    providerGrpc.ResourceProviderService,
    service(info) as unknown as GrpcModule.UntypedServiceImplementation,
  );
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error) reject(error);
      else resolve({ port, server });
    });
  });
}

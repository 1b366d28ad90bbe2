/**
 * Pulumi's secret envelope, as the engine hands secrets to a provider that accepts them
 * (`ConfigureResponse.acceptSecrets`): `{"4dabf18193072939515e22adb298388d":
 * "1b47061264138c4ac30d75fd1eb44270", "value": …}`, anywhere in olds, news and config.
 *
 * The core (src/provider) works on plain values, so the plugin unwraps on the way in, noting which
 * top-level properties held a secret, and wraps on the way out: those properties, and every field
 * the table marks secret (`token`) whatever the program passed. A property is wrapped whole, so a
 * secret nested in `ingestToolCalls` keeps the whole list secret.
 */
import { SECRET_FIELDS } from "../field-names";

/** The signature key and value of a secret (sdk/go/common/resource/properties.go). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Props = Record<string, unknown>;

function isSecret(value: unknown): value is { value?: unknown } {
  return typeof value === "object" && value !== null && (value as Props)[SIG_KEY] === SECRET_SIG;
}

/** The value with every envelope replaced by what it holds, at any depth. */
function reveal(value: unknown, found: { secret: boolean }): unknown {
  if (isSecret(value)) {
    found.secret = true;
    return reveal(value.value, found);
  }
  if (Array.isArray(value)) return value.map((item) => reveal(item, found));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v, found)]));
  }
  return value;
}

export interface Unwrapped {
  plain: Props;
  /** Top-level keys that held a secret somewhere. */
  secretKeys: Set<string>;
}

export function unwrapSecrets(props: Props | undefined): Unwrapped {
  const plain: Props = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(props ?? {})) {
    const found = { secret: false };
    plain[key] = reveal(value, found);
    if (found.secret) secretKeys.add(key);
  }
  return { plain, secretKeys };
}

/** `props` with the table's secret fields and `alsoSecret` wrapped (absent keys stay absent). */
export function wrapSecrets(props: Props, alsoSecret: ReadonlySet<string> = new Set()): Props {
  const out: Props = {};
  for (const [key, value] of Object.entries(props)) {
    const secret = value !== undefined && (alsoSecret.has(key) || (SECRET_FIELDS as string[]).includes(key));
    out[key] = secret ? { [SIG_KEY]: SECRET_SIG, value } : value;
  }
  return out;
}

/** The union of what several unwrapped maps held secret. */
export function secretKeysOf(...maps: Unwrapped[]): Set<string> {
  return new Set(maps.flatMap((map) => [...map.secretKeys]));
}

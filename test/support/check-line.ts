/**
 * The lines the Pulumi engine prints for check failures, rendered as the engine renders them, so a
 * test can assert on what a user reads in a CI log (issue 22). From the CLI's sources (3.274.1):
 * `pkg/resource/deploy/step_generator.go` calls `issueCheckErrors(…, new, …)` *before*
 * `new.Inputs = inputs`, so the value printed beside a failure is the program's own input (the
 * goal, secret marks included), not what Check returned. `issueCheckFailures` prints, per failure
 * with a property, `%v resource '%v': property %v value %v has a problem: %v` with
 * `inputs[property].RedactSecrets()`, and for a failure without one `%v resource '%v' has a
 * problem: %v` (sdk/go/common/diag/errors.go). `PropertyValue.String`
 * (sdk/go/common/resource/properties.go) is `fmt.Sprintf("{%v}", v.V)`: a string shows bare, an
 * array as Go's `[a b]` of its elements' strings, an object as Go's `map[k:v …]` in key order, a
 * missing value as `<nil>`, and a secret (at any depth) as `[secret]`. No vitest import.
 */
import type { Props } from "./pulumi-host";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** `PropertyValue.RedactSecrets()` of a value, secrets as the engine's envelopes. */
export function renderPropertyValue(value: unknown): string {
  return `{${renderInner(value)}}`;
}

function renderInner(value: unknown): string {
  if (value === undefined || value === null) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(renderPropertyValue).join(" ")}]`;
  if (typeof value === "object") {
    const object = value as Props;
    if (SECRET_SIG_KEY in object) return "[secret]";
    const keys = Object.keys(object).sort();
    return `map[${keys.map((k) => `${k}:${renderPropertyValue(object[k])}`).join(" ")}]`;
  }
  return String(value);
}

/**
 * Each line the engine prints for the check `failures` of resource `name`, whose program gave
 * `programInputs` (secret ones wrapped in envelopes, as the program registered them).
 */
export function engineCheckLines(
  type: string,
  name: string,
  programInputs: Props,
  failures: readonly { property: string; reason: string }[],
): string[] {
  return failures.map((f) =>
    f.property === ""
      ? `${type} resource '${name}' has a problem: ${f.reason}`
      : `${type} resource '${name}': property ${f.property} value ` +
        `${renderPropertyValue(programInputs[f.property])} has a problem: ${f.reason}`,
  );
}

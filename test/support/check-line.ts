/**
 * The line the Pulumi engine prints for a check failure, rendered as the engine renders it, so a
 * test can assert on what a user reads in a CI log (issue 22). From the CLI's sources (3.274.1):
 * `pkg/resource/deploy/step_generator.go` `issueCheckFailures` prints, per failure with a property,
 * `diag.GetResourcePropertyInvalidValueError`: `%v resource '%v': property %v value %v has a
 * problem: %v` with the value `inputs[property].RedactSecrets()`, where `inputs` are the inputs
 * Check returned. `PropertyValue.String` (sdk/go/common/resource/properties.go) is
 * `fmt.Sprintf("{%v}", v.V)`: a string shows bare, an array as Go's `[a b]` of its elements'
 * strings, an object as Go's `map[k:v …]` in key order, a missing value as `<nil>`, and a secret
 * (any depth) as `[secret]`. No vitest import.
 */
import type { Props } from "./pulumi-host";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/** `PropertyValue.RedactSecrets()` of a value as it comes out of a Check response. */
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

/** Each line the engine prints for Check's answer (`inputs`, `failures`) of resource `name`. */
export function engineCheckLines(
  type: string,
  name: string,
  answer: { inputs: Props; failures: { property: string; reason: string }[] },
): string[] {
  return answer.failures.map((f) =>
    f.property === ""
      ? `${type} resource '${name}' has a problem: ${f.reason}`
      : `${type} resource '${name}': property ${f.property} value ${renderPropertyValue(answer.inputs[f.property])} has a problem: ${f.reason}`,
  );
}

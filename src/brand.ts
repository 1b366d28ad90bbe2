/**
 * `instanceof` that works across two loaded copies of this package, as undici's errors do with
 * `Symbol.hasInstance`. Pulumi's dynamic-provider host can load the provider from a second copy of
 * the package (the program's and the host's `node_modules`), and a class from one copy is not the
 * class of the other, so plain `instanceof` would say no.
 *
 * Each branded class is known by a `Symbol.for` key derived from its name (global, so every copy
 * agrees). The constructor marks the instance with the key of its class and of every ancestor below
 * `Error`; `instanceof C` asks for the key of `C`. A root class opts in with:
 *
 *     static override [Symbol.hasInstance](value: unknown): boolean { return hasBrand(value, this); }
 *     constructor(…) { super(…); markBrands(this, new.target); }
 *
 * Subclasses inherit both and need nothing.
 */
function keyOf(ctor: { name: string }): symbol {
  return Symbol.for(`pulumi-copass.${ctor.name}`);
}

/** Marks `instance` as an instance of `target` and of each of its ancestors up to `Error`. */
export function markBrands(instance: object, target: abstract new (...args: never[]) => unknown): void {
  for (let ctor: unknown = target; typeof ctor === "function" && ctor !== Error;) {
    Object.defineProperty(instance, keyOf(ctor), { value: true });
    ctor = Object.getPrototypeOf(ctor);
  }
}

/** Whether `value` was constructed by `ctor` (or a subclass) in any copy of the package. */
export function hasBrand(value: unknown, ctor: { name: string }): boolean {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[keyOf(ctor)] === true
  );
}

/**
 * The part of classic zod this package uses, in one module: the client's wire schemas
 * (client/types.ts), public exports of `pulumi-copass/client`. In the sources (tests, typecheck) it
 * is a plain re-export of the `zod` package. In the build, scripts/build.cjs replaces its output,
 * dist/zod.js, with a bundle of exactly these exports (scripts/bundle-zod.mjs): every entry point of
 * the zod package loads its 64 locale files (colinhacks/zod#6050), ~60 ms of every start that
 * loads it, while a bundle shaken down to these functions keeps the English messages only and
 * loads in a few milliseconds (README "Lean start"). Same zod, same code, same messages. The
 * provider's field table uses zod/mini instead (src/zod-mini.ts says why).
 *
 * Import it as a namespace (`import * as z from "../zod"`) so the code reads as zod's docs do.
 * Only values listed here can be used: a new zod function is one more name on this list.
 */
export { array, boolean, enum, looseObject, number, object, record, string, union, unknown } from "zod";
export type { infer } from "zod";
/**
 * The type every zod schema has, classic or mini (zod's core `$ZodType`): what reads a schema's
 * definition without caring which API built it (src/plugin/package-schema.ts reads the field
 * table's, which zod/mini builds) names it `z.ZodType`.
 */
export type { $ZodType as ZodType } from "zod/v4/core";

/**
 * The part of zod/mini the provider's field table (provider/schema.ts) uses, in one module; the
 * build bundles it into dist/zod-mini.js (scripts/bundle-zod.mjs), as it bundles src/zod.ts.
 *
 * Why mini for the provider: every provider start builds the field table's ~90 schemas before the
 * first check. zod/mini builds them on the same core (the same parsers, checks and messages)
 * without classic zod's per-class method tables, and without loading classic zod at all: about a
 * quarter fewer instructions to load the provider (issue 18; docs/performance.md "Lean start"). The client keeps
 * classic zod (src/zod.ts): its wire schemas are public exports of `pulumi-copass/client`.
 *
 * zod/mini configures no locale, classic registers English: this module registers it too, unless
 * a locale is already set, so a message zod writes itself is the same English on either side.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

export {
  _default,
  any,
  array,
  boolean,
  enum,
  extend,
  gte,
  int,
  lte,
  maxLength,
  minLength,
  number,
  object,
  optional,
  record,
  refine,
  regex,
  string,
  superRefine,
  unknown,
} from "zod/mini";
export type {
  ZodMiniDefault,
  ZodMiniObject,
  ZodMiniOptional,
  ZodMiniType,
  infer,
  input,
  output,
} from "zod/mini";

if (!config().localeError) config(en());

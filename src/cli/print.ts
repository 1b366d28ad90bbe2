/**
 * Printing JSON values the way prettier prints them in a TypeScript file (printWidth 110, the
 * repo's config), for the program `pulumi-copass import` writes (import.ts): quote choice, keys
 * unquoted where they are identifiers, arrays of objects broken one per line, number arrays filled,
 * long strings after keys of five or more characters. By construction, so the command needs no
 * prettier at run time; test/cli/import.test.ts holds the output equal to prettier's.
 */
const PRINT_WIDTH = 110;
/** An identifier name (Unicode letters too): prettier unquotes such keys, so they are never quoted. */
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/**
 * A string literal as prettier prints it: double quotes unless the value holds more double than
 * single quotes; JSON's escapes otherwise (prettier keeps them).
 */
export function printString(value: string): string {
  const json = JSON.stringify(value);
  const doubles = value.split('"').length - 1;
  const singles = value.split("'").length - 1;
  if (doubles <= singles) return json;
  const body = json.slice(1, -1).replace(/\\.|'/g, (m) => (m === '\\"' ? '"' : m === "'" ? "\\'" : m));
  return `'${body}'`;
}

/** prettier's number printing for what JSON can hold: lower-case exponent without `+`. */
function printNumber(value: number): string {
  return String(value).replace("e+", "e");
}

function printKey(key: string): string {
  return IDENTIFIER.test(key) ? key : printString(key);
}

/** The one-line form of a value. */
function flat(value: unknown): string {
  if (typeof value === "string") return printString(value);
  if (typeof value === "number") return printNumber(value);
  if (typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(flat).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([k, v]) => `${printKey(k)}: ${flat(v)}`).join(", ")} }`;
}

/**
 * prettier breaks an array of two or more objects (or arrays) each with more than one entry, even
 * when it would fit on one line.
 */
function alwaysBreaks(items: unknown[]): boolean {
  if (items.length < 2) return false;
  const size = (v: unknown) =>
    Array.isArray(v) ? v.length : typeof v === "object" && v !== null ? Object.keys(v).length : 0;
  const allObjects = items.every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
  const allArrays = items.every(Array.isArray);
  return (allObjects || allArrays) && items.every((v) => size(v) > 1);
}

function isComposite(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/**
 * `value` after `prefix` (already at column `indent`), followed by `suffix` (`,` or `;`): on one
 * line when it fits in the print width and nothing forces a break, else broken one entry per line,
 * each entry deciding again for itself (prettier's group fitting). Arrays of numbers fill lines.
 */
function printAt(prefix: string, value: unknown, indent: number, suffix: string): string {
  const pad = " ".repeat(indent);
  const oneLine = `${pad}${prefix}${flat(value)}${suffix}`;
  if (!isComposite(value)) {
    // A string that overflows moves to its own line after a key of 5 columns or more ("break after
    // operator"); after a shorter key the break would gain too little, so prettier keeps the line.
    const key = prefix.slice(0, -2);
    if (typeof value !== "string" || width(oneLine) <= PRINT_WIDTH || width(key) < 5) return oneLine;
    return `${pad}${key}:\n${pad}  ${flat(value)}${suffix}`;
  }
  const forced = Array.isArray(value) && alwaysBreaks(value);
  if (!forced && width(oneLine) <= PRINT_WIDTH) return oneLine;
  const inner = indent + 2;
  if (Array.isArray(value)) {
    if (value.length === 0) return oneLine;
    if (value.length > 1 && value.every((v) => typeof v === "number")) {
      return `${pad}${prefix}[\n${fill(
        value.map((v) => printNumber(v as number)),
        inner,
      )}\n${pad}]${suffix}`;
    }
    const items = value.map((item) => printAt("", item, inner, ","));
    return `${pad}${prefix}[\n${items.join("\n")}\n${pad}]${suffix}`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return oneLine;
  const props = entries.map(([k, v]) => printAt(`${printKey(k)}: `, v, inner, ","));
  return `${pad}${prefix}{\n${props.join("\n")}\n${pad}}${suffix}`;
}

/** prettier's fill for number arrays: as many per line as fit, each followed by a comma. */
function fill(items: string[], indent: number): string {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    const candidate = line === "" ? `${pad}${item},` : `${line} ${item},`;
    if (line !== "" && width(candidate) > PRINT_WIDTH) {
      lines.push(line);
      line = `${pad}${item},`;
    } else {
      line = candidate;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

/** One `key: value,` property of a resource's args at `indent`. */
export function printProperty(key: string, value: unknown, indent: number): string {
  return printAt(`${printKey(key)}: `, value, indent, ",");
}

/**
 * Display width as prettier measures it: one column per character, two for East Asian wide and
 * full-width ones, none for combining marks.
 */
export function width(text: string): number {
  let columns = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x300 && code <= 0x36f) continue;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1f64f) ||
      (code >= 0x1f900 && code <= 0x1f9ff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    columns += wide ? 2 : 1;
  }
  return columns;
}

/**
 * The one `redact` of the package (DESIGN §6): the client's errors, the provider's messages and
 * `healthError`, and the emulator's stored health reasons all go through it.
 *
 * Each secret is cut out in every form a server is likely to echo it in: raw, URL-encoded (an MCP
 * server that logs or relays the query string or a URL it was given) and JSON-escaped (a body
 * relayed as JSON text).
 *
 * Short secrets: a secret of fewer than `MIN_REDACTABLE_LENGTH` characters cannot be cut out of a
 * text reliably (a one-letter token occurs in almost every word, and cutting each occurrence would
 * both mangle the text and reveal where the secret is). When such a secret occurs in the text, the
 * whole text is withheld instead. The provider's `check` rejects MCP tokens that short in the first
 * place (schema.ts); this rule is the last line of defence for every other caller (the emulator
 * accepts any token, as Copass does, and an API key is not checked for length).
 */

export const REDACTED = "[redacted]";

/** Secrets shorter than this are not cut out: a text containing one is withheld whole. */
export const MIN_REDACTABLE_LENGTH = 4;

/** What replaces a text that contains a secret too short to cut out. */
export const WITHHELD = "[message withheld: it may contain a secret]";

/**
 * Characters that `encodeURIComponent` and `JSON.stringify` both leave as they are: a secret made of
 * these alone (most keys and tokens) has one form. Every operation redacts (`endpointOf`), so the
 * common case skips building the other two.
 */
const ONE_FORM = /^[A-Za-z0-9_.!~*'()-]*$/;

/** The forms of `secret` a server may echo: raw, URL-encoded, JSON-escaped (distinct, longest first). */
function formsOf(secret: string): string[] {
  if (ONE_FORM.test(secret)) return [secret];
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].sort((a, b) => b.length - a.length);
}

/** `text` with every secret (in every form) replaced by `[redacted]`; see the header for short ones. */
export function redact(text: string, secrets: readonly (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    if (secret.length < MIN_REDACTABLE_LENGTH) {
      if (formsOf(secret).some((form) => out.includes(form))) return WITHHELD;
      continue;
    }
    for (const form of formsOf(secret)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return out;
}

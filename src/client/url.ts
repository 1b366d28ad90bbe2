/** Where a credential may be sent (DESIGN §6): the one URL rule, pure. */
import { CopassConfigError } from "./errors";

/**
 * The one URL rule (DESIGN §6), for the MCP server's `baseUrl` and the Copass `apiUrl` alike: why
 * `raw` is not an acceptable endpoint, or undefined. Absolute https (plain http only to a loopback
 * host, so no credential crosses a network in clear text), no userinfo, query, fragment or trailing
 * slash. `what` names the setting; the URL itself never appears (it could carry userinfo, or be a
 * key pasted into the wrong setting).
 */
export function urlProblem(what: string, raw: string, example: string): string | undefined {
  // Every check, create and update asks again about the same few URLs (each source's baseUrl, the
  // apiUrl), and parsing one costs more than the rest of its rule (issue 24): answers are kept.
  const key = `${what}\n${example}\n${raw}`;
  if (answers.has(key)) return answers.get(key);
  if (answers.size >= MAX_ANSWERS) answers.clear();
  const answer = judgeUrl(what, raw, example);
  answers.set(key, answer);
  return answer;
}

/** urlProblem's answers so far; cleared when full (a program has a few URLs, not thousands). */
const answers = new Map<string, string | undefined>();
const MAX_ANSWERS = 256;

function judgeUrl(what: string, raw: string, example: string): string | undefined {
  if (/\s/.test(raw)) return `${what} must not contain whitespace; use an absolute URL such as ${example}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${what} is not an absolute URL; use one such as ${example}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `${what} must use https:// (plain http only for localhost, 127.0.0.0/8 or [::1]), e.g. ${example}`;
  }
  if (url.username !== "" || url.password !== "") {
    return `${what} must not contain credentials (userinfo user:password@); remove them`;
  }
  if (raw.includes("?") || raw.includes("#"))
    return `${what} must not have a query string or fragment; remove it`;
  if (raw.endsWith("/")) return `${what} must not end with a slash; remove the trailing '/'`;
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return (
      `${what} uses plain http to a non-loopback host, which would send credentials unencrypted; ` +
      "use https:// (plain http is accepted only for localhost, 127.0.0.0/8 and [::1])"
    );
  }
  return undefined;
}

/**
 * `apiUrl` parsed, or a `CopassConfigError` naming the rule. A path prefix is kept and its trailing
 * slashes are dropped.
 */
export function checkApiUrl(apiUrl: string): URL {
  const trimmed = typeof apiUrl === "string" ? apiUrl.replace(/\/+$/, "") : "";
  const problem = urlProblem("Copass apiUrl", trimmed, "https://api.copass.id");
  if (problem) throw new CopassConfigError(problem);
  return new URL(trimmed);
}

/** localhost, 127.0.0.0/8 and [::1] (as URL.hostname spells them). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  const octets = host.split(".");
  return (
    octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  );
}

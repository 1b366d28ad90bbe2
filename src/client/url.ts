/** Where the client may send the API key (DESIGN §6): the `apiUrl` check, pure. */
import { CopassConfigError } from "./errors";

/**
 * Parses and checks `apiUrl` (DESIGN §6): https, or plain http only to a loopback host, so the API
 * key never crosses a network in clear text; no credentials, query or fragment in the URL.
 */
export function checkApiUrl(apiUrl: string): URL {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    // The value is not echoed: a key pasted into the wrong setting must not reach a log.
    throw new CopassConfigError("Copass apiUrl is not an absolute URL such as https://api.copass.id");
  }
  if (url.username || url.password) {
    throw new CopassConfigError("Copass apiUrl must not contain credentials; pass the API key as apiKey");
  }
  if (url.search || url.hash) throw new CopassConfigError("Copass apiUrl must not have a query or fragment");
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === "http:") {
    throw new CopassConfigError(
      `Copass apiUrl ${url.origin} uses plain http to a non-loopback host, which would send the API key ` +
        "unencrypted; use https (plain http is allowed only for localhost, 127.0.0.0/8 and [::1])",
    );
  }
  throw new CopassConfigError(`Copass apiUrl must use https, got ${url.protocol}`);
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

/**
 * Cookie policy of the session gateway (pure; no I/O). The session cookie carries a random token
 * (32 bytes from a CSPRNG, base64url: 43 characters) and is always `HttpOnly` (no page script can
 * read it), `SameSite=Strict` (no other site can make the browser send it) and `Path=/`. No
 * `Secure` attribute: the gateway serves plain HTTP on 127.0.0.1, where browsers would drop a
 * Secure cookie. The token never reaches a session container: {@link stripCookie} removes it from
 * the forwarded `Cookie` header. Cookie syntax follows RFC 6265 §4.1 (Set-Cookie) and §5.4 (Cookie).
 */

/** A token as the gateway issues it: 32 random bytes, base64url without padding. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Name of the session cookie of a gateway on `port`. Cookies are not port-scoped (RFC 6265 §8.5),
 * so two gateways on 127.0.0.1 need different names or they would overwrite each other's cookie.
 */
export function sessionCookieName(port: number): string {
  return `cl_session_${port}`;
}

/**
 * Values of every cookie named `name` in a `Cookie` request header (a browser may send several
 * with the same name, e.g. for different paths), in header order; values that are not
 * well-formed tokens are dropped (they can never match a session).
 * @param header the request's `Cookie` header (undefined, a string, or several headers).
 */
export function sessionTokens(header: string | string[] | undefined, name: string): string[] {
  return splitSessionCookie(header, name).tokens;
}

/**
 * {@link sessionTokens} and {@link stripCookie} in one pass over the header (the gateway's
 * per-request path): the well-formed tokens of cookies named `name`, in header order, and the
 * `Cookie` header to forward (every other cookie, `; `-joined; undefined when none remain).
 */
export function splitSessionCookie(header: string | string[] | undefined, name: string): { tokens: string[]; rest: string | undefined } {
  const tokens: string[] = [];
  const kept: string[] = [];
  for (const pair of cookiePairs(header)) {
    if (pair.name !== name) kept.push(pair.raw);
    else if (TOKEN_PATTERN.test(pair.value)) tokens.push(pair.value);
  }
  return { tokens, rest: kept.length ? kept.join('; ') : undefined };
}

/** `Set-Cookie` value that gives the browser a session token. */
export function setSessionCookie(name: string, token: string): string {
  if (!TOKEN_PATTERN.test(token)) throw new RangeError('a session token must be 43 base64url characters');
  return `${name}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

/** `Set-Cookie` value that makes the browser forget the session cookie (logout, ended session). */
export function clearSessionCookie(name: string): string {
  return `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * The `Cookie` header to forward to a session container: every cookie except ours.
 * @returns the remaining `name=value` pairs joined with `; `, or undefined when none remain.
 */
export function stripCookie(header: string | string[] | undefined, name: string): string | undefined {
  return splitSessionCookie(header, name).rest;
}

function cookiePairs(header: string | string[] | undefined): Array<{ name: string; value: string; raw: string }> {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join('; ') : header;
  const pairs: Array<{ name: string; value: string; raw: string }> = [];
  for (const part of text.split(';')) {
    const raw = part.trim();
    if (!raw) continue;
    const eq = raw.indexOf('=');
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    let value = eq < 0 ? '' : raw.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    pairs.push({ name, value, raw });
  }
  return pairs;
}

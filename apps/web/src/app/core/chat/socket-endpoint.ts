/** The socket refuses anything but TLS: a chat socket over ws:// would expose every routing field and the session cookie. */
export class InsecureEndpointError extends Error {
  constructor(readonly endpoint: string) {
    super(`Refusing to connect to ${endpoint}: Conclave only talks over an encrypted connection (wss://). Open the app over https://.`);
    this.name = 'InsecureEndpointError';
  }
}

/**
 * The wss:// origin of the chat socket for a page served from `pageOrigin` (or an explicit
 * endpoint). https:// maps to wss://; ws://, http:// and anything else are refused.
 */
export function socketEndpoint(pageOrigin: string): string {
  let url: URL;
  try {
    url = new URL(pageOrigin);
  } catch {
    throw new InsecureEndpointError(pageOrigin);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'wss:') throw new InsecureEndpointError(pageOrigin);
  return `wss://${url.host}`;
}

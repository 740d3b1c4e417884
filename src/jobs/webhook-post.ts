import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import { resolvedAddressProblem } from '../domain/webhooks.js';

/** A delivery refused before it connected: where its host resolves to is not allowed. */
export class AddressRefused extends Error {}

/**
 * Resolves a host as the connection would, and refuses it when any address it resolves to is one
 * the allow-list does not let a delivery reach. The connection then goes to an address checked
 * here, so a name cannot resolve one way for the check and another way for the connection.
 */
function checkedLookup(port: number, allowed: readonly string[]): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const refused = addresses.map((a) => resolvedAddressProblem(hostname, a.address, port, allowed)).find(Boolean);
      if (refused) return callback(new AddressRefused(refused), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address.`), { code: 'ENOTFOUND' }), '', 4);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs one delivery and answers the receiver's status code. Redirects are not followed (a 3xx is
 * the answer); a host given as an address is checked as one, a name by what it resolves to.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowed: readonly string[] },
): Promise<number> {
  const u = new URL(url);
  const literal = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  if (net.isIP(literal)) {
    const refused = resolvedAddressProblem(literal, literal, port, opts.allowed);
    if (refused) return Promise.reject(new AddressRefused(refused));
  }
  const send = u.protocol === 'https:' ? https.request : http.request;
  return new Promise<number>((resolve, reject) => {
    const req = send(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: checkedLookup(port, opts.allowed),
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        // What the receiver says beyond its status is not kept.
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(err.cause instanceof AddressRefused ? err.cause : err));
    req.end(body);
  });
}

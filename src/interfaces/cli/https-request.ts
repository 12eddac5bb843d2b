// One request to a manager served over HTTPS, trusting the certificate authority the operator named
// (--ca FILE or $SAFEFLASH_CA) besides the system's: fetch in Node.js 20 takes no CA of its own.
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface HttpsAnswer {
  status: number;
  ok: boolean;
  text: string;
}

export interface HttpsRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  /** PEM certificates trusted besides the system's. */
  ca?: Buffer;
}

/** Rejects with a TimeoutError when the manager did not answer in time, else with the socket's or TLS's own error. */
export function httpsRequest(url: URL, options: HttpsRequest): Promise<HttpsAnswer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method, headers: options.headers, signal, ...(options.ca ? { ca: [...rootCertificates, options.ca.toString('utf8')] } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', (error) => {
      if (signal.aborted) reject(Object.assign(new Error('the manager did not answer in time', { cause: error }), { name: 'TimeoutError' }));
      else reject(error);
    });
    req.end(options.body);
  });
}

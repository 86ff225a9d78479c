/** The validated configuration, read once at start and injected (token APP_CONFIG). */
export interface AppConfig {
  readonly env: 'production' | 'development' | 'test';
  readonly port: number;
  /** 0 = no plain-HTTP redirect listener. */
  readonly httpPort: number;
  readonly host: string | undefined;
  /** Absolute path. */
  readonly dataDir: string;
  /** undefined = embedded PostgreSQL in dataDir. */
  readonly databaseUrl: string | undefined;
  readonly tls: TlsSource;
  /** Behind a TLS-terminating proxy: listen in plain HTTP, trust X-Forwarded-*. */
  readonly trustProxy: boolean;
  /** e.g. https://chat.example.com; undefined = derived from each request's Host header. */
  readonly publicOrigin: string | undefined;
  readonly log: { readonly level: string; readonly format: 'json' | 'pretty' };
}

export type TlsSource =
  | { readonly mode: 'files'; readonly cert: Buffer; readonly key: Buffer; readonly certFile: string }
  | { readonly mode: 'self-signed' }
  | { readonly mode: 'proxy' };

export const APP_CONFIG = Symbol('APP_CONFIG');

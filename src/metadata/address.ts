// Where every pod reaches the metadata service. Kept free of imports: the
// CLI names these in its help text without loading the service.

/** Where every pod reaches the service (pods without the host's network through a proxy, see docs/metadata.md). */
export const METADATA_HOST = '127.0.0.1';
export const METADATA_PORT = 2375;
/** The service's unix socket; the proxy in private-network pods forwards to it. */
export const METADATA_SOCKET = '/run/sprocket/metadata.sock';

/** What `sprocket metadata-service` listens on without --listen. */
export const DEFAULT_LISTEN = [`${METADATA_HOST}:${METADATA_PORT}`, METADATA_SOCKET];

// The library entry: importing it has no effect on the host process (no exit hooks, no signal listeners).
// The embedded server lives behind its own subpath, @gym/local-pg/embedded, loaded only where one starts.
export {
  type DevServerEvent,
  devServerPort,
  type SeedResult,
  serveUntilStopped,
} from './dev-server.js';
export { EmbeddedServerError, LocalPgError, LocalSettingError } from './errors.js';
export { defaultPgMajor, type PgMajor, pgMajorFromEnv, supportedPgMajors } from './pg-version.js';
export { freePort } from './port.js';

// The heavy clients (ioredis, mysql2, bullmq, unleash-client, prom-client)
// are optional peer dependencies: code that needs one only at run time loads
// it here, so a missing one is a coded error naming the package to install
// rather than a module-resolution stack trace.
import { CUTOVER_ERR_PEER_MISSING } from './errors.js'

/** Loads an optional peer dependency; `forWhat` says what needs it. */
export async function loadPeer<T>(load: () => Promise<T>, name: string, forWhat: string): Promise<T> {
  try {
    return await load()
  } catch (err) {
    const code = (err as { code?: string }).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(`'${name}'`)) {
      throw new CUTOVER_ERR_PEER_MISSING(forWhat, name, name)
    }
    throw err
  }
}

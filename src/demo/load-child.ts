// The demo's load in a process of its own, so the app's event loop serves
// requests instead of also generating them (driveLoadApart starts it). It
// stops when told to, or when its parent goes away, and sends back its result.
import { driveLoad, type LoadOptions } from './load.js'

const options = JSON.parse(process.argv[2] ?? '{}') as Omit<LoadOptions, 'signal' | 'onTick'>
const stop = new AbortController()
process.on('message', (message) => {
  if (message === 'stop') stop.abort()
})
process.on('disconnect', () => stop.abort())
process.send?.('ready')
const result = await driveLoad({ ...options, signal: stop.signal })
if (process.connected) process.send?.(result, () => process.disconnect())

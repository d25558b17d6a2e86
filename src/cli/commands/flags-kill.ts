import { defineCommand, opt } from '../define.js'
import { targetOptions, writerFor } from '../flags-target.js'

export const flagsKill = defineCommand({
  name: ['flags', 'kill'],
  summary: 'kill switch: turn every cutover route off in every process (--off restores)',
  description: `Turns the fleet-wide kill switch on: every process's flag source serves every
route off (legacy path) within one refresh interval. The routes' own modes are
kept, so \`cutover flags kill --off\` brings them back as they were.
For a single process: CUTOVER_KILL=1 at start-up, or app.cutover.kill().`,
  options: { ...targetOptions, off: opt.flag('turn the kill switch off again') },
  async run({ options }, io) {
    const on = !options.off
    await writerFor(options).setKill(on)
    io.out(on ? 'kill switch ON: every cutover route is off' : 'kill switch off: routes follow their flags again')
    return 0
  },
})

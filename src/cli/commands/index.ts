import type { CliCommand } from '../command.js'
import { invalidateCommand } from './invalidate.js'

/** Every CLI command; each lives in its own file beside this one. */
export const commands: CliCommand[] = [invalidateCommand]

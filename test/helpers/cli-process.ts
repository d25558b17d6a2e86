import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')

export interface CliProcessResult {
  /** The exit code; null when the process was killed (see timedOut). */
  code: number | null
  stdout: string
  stderr: string
  /** true when the process had not exited by the deadline and was killed: it hung. */
  timedOut: boolean
  ms: number
}

/**
 * Runs `cutover <args>` in a child process, as a user's shell would (the
 * sources through tsx, as `npm run cutover` does), and kills it at the
 * deadline. A command that leaves a handle open never exits on its own, which
 * an in-process runCli() call cannot show.
 */
export function runCliProcess(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<CliProcessResult> {
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.timeoutMs)
  return new Promise((done, fail) => {
    child.once('error', (err) => {
      clearTimeout(timer)
      fail(err)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr, timedOut, ms: Date.now() - started })
    })
  })
}

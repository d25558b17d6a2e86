/**
 * acquireLease: takes a render lease for `ttl` ms when nobody holds it. A
 * lease key without an expiry is not one cutover wrote (every lease is set
 * with PX): it would block the key's renders for ever, so it is taken over.
 *
 * KEYS[1]  the lease key (`<prefix>:v1:{<route>}:lease:<hash>`)
 * ARGV[1]  the token to hold it under
 * ARGV[2]  its lifetime, ms
 *
 * Returns 1 when the lease was taken, 0 when another holder has it.
 */
export const acquireLeaseLua = takeLeaseLua('KEYS[1]')

/** The lease taking of acquireLease and getOrLease: the lease key is `key`, the token ARGV[1], the lifetime ARGV[2]. */
export function takeLeaseLua(key: string): string {
  return `
if redis.call('SET', ${key}, ARGV[1], 'PX', ARGV[2], 'NX') then
  return 1
end
if redis.call('PTTL', ${key}) == -1 then
  redis.call('SET', ${key}, ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`
}

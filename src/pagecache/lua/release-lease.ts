/**
 * releaseLease: deletes a render lease only while the caller still holds it,
 * so a holder whose lease expired can't release the next holder's.
 *
 * KEYS[1]  the lease key (`<prefix>:v1:{<route>}:lease:<hash>`)
 * ARGV[1]  the token acquireLease returned
 *
 * Returns 1 when the lease was released, 0 when the token no longer holds it.
 */
export const releaseLeaseLua = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

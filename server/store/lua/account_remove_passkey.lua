-- Remove one passkey, unless it is the account's last way back in (no other passkey, no
-- organisation identity): then the person would lose the account on the next cleared browser.
-- ARGV (after lib's three): uid, credential_id
-- Returns {'ok', passkeys_left} or {'err', 'not_found' | 'last_sign_in'}.
local uid, cid = ARGV[4], ARGV[5]
local passkeys = P .. 'passkeys:' .. uid
if redis.call('HEXISTS', passkeys, cid) == 0 then return {'err', 'not_found'} end
local left = redis.call('HLEN', passkeys) - 1
if left == 0 and redis.call('HEXISTS', k_user(uid), 'sso_sub') == 0 then
  return {'err', 'last_sign_in'}
end
redis.call('HDEL', passkeys, cid)
redis.call('DEL', P .. 'credential:' .. cid)
return {'ok', left}

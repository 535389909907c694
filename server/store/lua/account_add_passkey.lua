-- Attach a verified passkey to an account; a guest account becomes a kept one (never expires).
-- ARGV (after lib's three): uid, credential_id, record_json, handle
-- Returns {'ok', kind} or {'err', 'not_found' | 'passkey_exists'}.
local uid, cid, record, handle = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local user = k_user(uid)
if redis.call('EXISTS', user) == 0 then return {'err', 'not_found'} end
if redis.call('SET', P .. 'credential:' .. cid, uid, 'NX') == false then
  return {'err', 'passkey_exists'}
end
redis.call('HSET', P .. 'passkeys:' .. uid, cid, record)
redis.call('HSETNX', user, 'webauthn_handle', handle)
local kind = redis.call('HGET', user, 'kind')
if kind == false or kind == 'guest' then
  kind = 'passkey'
  redis.call('HSET', user, 'kind', kind)
end
retain_user(uid)
return {'ok', kind}

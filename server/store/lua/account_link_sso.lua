-- Map an organisation identity (issuer digest, sub) to one account: the one it already maps to,
-- else the signed-in account that asked to link it, else a new account.
-- ARGV (after lib's three): digest, sub, link_uid ('' = none), new_uid, name, issuer, email
-- Returns {'existing', uid} | {'linked', uid} | {'created', uid} | {'err', 'identity_taken'}.
local digest, sub, link_uid, new_uid = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local name, issuer, email = ARGV[8], ARGV[9], ARGV[10]
local link = P .. 'sso:' .. digest .. ':' .. sub
local existing = redis.call('GET', link)
if existing then
  redis.call('HSET', k_user(existing), 'email', email)
  return {'existing', existing}
end
local uid, outcome = link_uid, 'linked'
local user = k_user(uid)
if uid == '' or redis.call('EXISTS', user) == 0 then
  uid, outcome = new_uid, 'created'
  user = k_user(uid)
  redis.call('HSET', user, 'name', name, 'created_at', NOW, 'kind', 'sso', 'epoch', 0)
elseif redis.call('HEXISTS', user, 'sso_sub') == 1 then
  return {'err', 'identity_taken'}
end
redis.call('SET', link, uid)
redis.call('HSET', user, 'sso_issuer', issuer, 'sso_digest', digest, 'sso_sub', sub, 'email', email)
if redis.call('HGET', user, 'kind') == 'guest' then redis.call('HSET', user, 'kind', 'sso') end
retain_user(uid)
return {outcome, uid}

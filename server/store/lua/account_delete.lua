-- Delete an account: profile, passkeys, organisation link, history and reputation go; what
-- others' histories show is anonymised (event rosters carry a name copy; the person's private
-- notes and reflections in their own ratings go). Session records, the stars they gave or got,
-- and reports stay (others' histories and reputations, and moderation, depend on them).
-- Refused while the person is waiting, online as a mentor, in a call or in an event.
-- ARGV (after lib's three): uid, deleted_name
-- Returns {'ok'} or {'err', 'not_found' | 'account_busy'}.
local uid, deleted_name = ARGV[4], ARGV[5]
local user = k_user(uid)
if redis.call('EXISTS', user) == 0 then return {'err', 'not_found'} end
local mentor_state = redis.call('HGET', k_mentor(uid), 'state')
if redis.call('EXISTS', k_live(uid)) == 1 or redis.call('EXISTS', k_mentee(uid)) == 1
  or (mentor_state and mentor_state ~= 'offline')
  or redis.call('EXISTS', k_user_event(uid)) == 1 then
  return {'err', 'account_busy'}
end
-- cjson turns an empty JSON array into {} on the way back; these records have one array each.
local function encode(record, array_field)
  local text = cjson.encode(record)
  return (string.gsub(text, '"' .. array_field .. '":{}', '"' .. array_field .. '":[]'))
end
local passkeys = P .. 'passkeys:' .. uid
for _, cid in ipairs(redis.call('HKEYS', passkeys)) do
  redis.call('DEL', P .. 'credential:' .. cid)
end
local sso = redis.call('HMGET', user, 'sso_digest', 'sso_sub')
if sso[1] and sso[2] then redis.call('DEL', P .. 'sso:' .. sso[1] .. ':' .. sso[2]) end
for _, sid in ipairs(redis.call('ZRANGE', k_history(uid), 0, -1)) do
  local ratings = P .. 'ratings:' .. sid
  local mine = redis.call('HGET', ratings, uid)
  if mine then
    local rating = cjson.decode(mine)
    rating['note'] = ''
    rating['reflection'] = ''
    redis.call('HSET', ratings, uid, encode(rating, 'tags'))
  end
  -- "How I applied it" is the mentee's own words to the mentor: it goes with the account.
  if redis.call('HGET', k_session(sid), 'mentee') == uid then
    redis.call('HDEL', k_session(sid), 'applied_note')
  end
  local event_id = redis.call('HGET', k_session(sid), 'event_id')
  if event_id and event_id ~= '' then
    local people = k_event_people(event_id)
    local person = redis.call('HGET', people, uid)
    if person then
      local record = cjson.decode(person)
      record['name'] = deleted_name
      redis.call('HSET', people, uid, encode(record, 'skills'))
    end
  end
end
for _, watch in ipairs(redis.call('SMEMBERS', P .. 'watching:' .. uid)) do
  redis.call('SREM', P .. 'watchers:' .. watch, uid)
end
redis.call('SREM', P .. 'mentors', uid)
redis.call('SREM', P .. 'admins', uid)
redis.call('DEL', user, passkeys, k_history(uid), P .. 'reputation:' .. uid, k_mentor(uid),
  P .. 'skillrep:' .. uid, P .. 'watching:' .. uid)
return {'ok'}

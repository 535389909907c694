-- A skill's waiting line as the queue broadcaster needs it, in one reply. A pass is full once per
-- window (ARGV[6], e.g. the current second): then every place, otherwise the first ARGV[5].
-- Per waiting mentee: member, ticket id, passed flag, topic and the fingerprint last sent to it
-- ("" if none). A full pass also forgets what was sent to people no longer waiting, so the
-- record never outgrows the line. Per-member HGETs, not one HMGET: Lua's unpack stops at ~8,000.
-- ARGV[4..]: skill, head size, window. Returns {full (0/1), member, ticket, passed, topic, last, ...}.
local skill, head, window = ARGV[4], tonumber(ARGV[5]), ARGV[6]
local shown = P .. 'qlast:' .. skill
local full = redis.call('HGET', shown, '~window') ~= window
local members = redis.call('ZRANGE', k_queue(skill), 0, full and -1 or head - 1)
local out = {full and 1 or 0}
for _, member in ipairs(members) do
  local t = redis.call('HMGET', k_mentee(member), 'ticket_id', 'passed', 'topic')
  if t[1] then
    out[#out + 1] = member
    out[#out + 1] = t[1]
    out[#out + 1] = t[2] or ''
    out[#out + 1] = t[3] or ''
    out[#out + 1] = redis.call('HGET', shown, member) or ''
  end
end
if full then
  local waiting = {}
  for _, member in ipairs(members) do waiting[member] = true end
  for _, field in ipairs(redis.call('HKEYS', shown)) do
    if not waiting[field] and field ~= '~window' then redis.call('HDEL', shown, field) end
  end
end
return out

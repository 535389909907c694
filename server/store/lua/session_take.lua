-- Move a call to this socket (session:take): another tab of the same person, or a page that
-- came back, holds the call from now on; the socket that held it is told it moved.
-- ARGV[4..]: sid, user, socket ("<node>|<sid>"), replaces: '' to take it whoever holds it, or a
-- socket id (this tab's before a reload or reconnect) to take it only from that socket or from
-- none that is open.
-- Returns nil (not a participant of a matched or live session), {'elsewhere'} (held by another
-- open socket than `replaces`), {'here'} (this socket held it already) or {'moved'}.
local sid, user, socket, replaces = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
if (s[1] ~= 'matched' and s[1] ~= 'live') or (user ~= s[2] and user ~= s[3]) then return nil end
local held = holder_of(sid, user)
if held == socket then return {'here'} end
if held and replaces ~= '' and string.match(held, '|(.*)$') ~= replaces then
  return {'elsewhere'}
end
redis.call('HSET', k_session(sid), 'holder:' .. user, socket)
return {'moved'}

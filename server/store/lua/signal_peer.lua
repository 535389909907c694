-- Who may receive a signal from this socket in this session? Only the other participant of a
-- session that is still matched or live, and only from the one socket that holds the sender's
-- side of the call: a socket holding it, or the first to signal while no open socket does (it
-- takes the call). Signals go to the peer's holding socket, or to all its sockets until one
-- holds. An offer from the mentee and an answer from the mentor are what "showed up" means for
-- the no_connection rule. A node asks on its first relay for a session (and after its cache was
-- invalidated) and then caches the answer, so 'relayed' tells the end whether any node may hold
-- it.
-- ARGV[4..]: sid, sender, type, the sending socket ("<node>|<sid>").
-- Returns nil (not in a live session), {'elsewhere'} (another open socket of the sender holds
-- the call), or {'ok', peer, others, held, socket...}: others > 0 when this socket just took the
-- call while the sender has that many other sockets (they are told it moved); held is 1 when the
-- one socket listed holds the peer's side, else the list is every socket of the peer, so a node
-- holding all of them can deliver without a round trip through pub/sub.
local sid, sender, kind, socket = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local s = redis.call('HMGET', k_session(sid), 'state', 'mentor', 'mentee')
if s[1] ~= 'matched' and s[1] ~= 'live' then return nil end
local peer
if sender == s[2] then peer = s[3]
elseif sender == s[3] then peer = s[2]
else return nil end
local held = holder_of(sid, sender)
if held and held ~= socket then return {'elsewhere'} end
local others = 0
if not held then
  redis.call('HSET', k_session(sid), 'holder:' .. sender, socket)
  others = redis.call('SCARD', k_sockets(sender)) - redis.call('SISMEMBER', k_sockets(sender), socket)
end
redis.call('HSET', k_session(sid), 'relayed', 1)
if sender == s[2] and kind == 'answer' then redis.call('HSET', k_session(sid), 'mentor_showed', 1) end
if sender == s[3] and kind == 'offer' then redis.call('HSET', k_session(sid), 'mentee_showed', 1) end
local target = holder_of(sid, peer)
if target then return {'ok', peer, others, 1, target} end
local out = {'ok', peer, others, 0}
for _, member in ipairs(redis.call('SMEMBERS', k_sockets(peer))) do out[#out + 1] = member end
return out

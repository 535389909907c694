-- Judge a batch of entities of one family, each in this one step (judges.lua). Read-only: what it
-- finds is what Redis holds at this instant, never a picture that moved while it was read.
-- ARGV[4]: family (session, live, mentor, mentee, queued, node, event, user_event); ARGV[5..]: ids.
-- Returns a flat list: kind, subject, detail, kind, subject, detail, ...
local judge = judges[ARGV[4]]
if not judge then return redis.error_reply('unknown family ' .. ARGV[4]) end
local out = {}
for i = 5, #ARGV do
  for _, found in ipairs(judge(ARGV[i])) do
    out[#out + 1] = found[1]
    out[#out + 1] = ARGV[i]
    out[#out + 1] = found[2]
  end
end
return out

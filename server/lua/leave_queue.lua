-- A mentee stops waiting. ARGV: prefix, mentee. Returns the skill it left, or nil.
local mentee = ARGV[2]
local skill = redis.call('HGET', k_mentee(mentee), 'skill')
if not skill then return nil end
redis.call('ZREM', k_queue(skill), mentee)
redis.call('DEL', k_mentee(mentee))
return skill

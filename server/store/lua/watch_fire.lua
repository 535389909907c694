-- A mentor came online: everyone who asked to hear when this mentor, or any mentor of one of its
-- skills, comes online is told once, and those watches end (each person hears it once per watch,
-- even when two nodes see the same mentor come online).
-- ARGV[4..]: mentor, skills_csv. Returns a flat list {watcher, kind, target, ...}.
local mentor, skills = ARGV[4], split(ARGV[5])
local out = {}
local function fire(kind, target)
  local key = P .. 'watchers:' .. kind .. ':' .. target
  for _, watcher in ipairs(redis.call('SMEMBERS', key)) do
    if watcher ~= mentor then
      out[#out + 1] = watcher
      out[#out + 1] = kind
      out[#out + 1] = target
      redis.call('SREM', key, watcher)
      redis.call('SREM', P .. 'watching:' .. watcher, kind .. ':' .. target)
    end
  end
end
fire('mentor', mentor)
for _, skill in ipairs(skills) do fire('skill', skill) end
return out

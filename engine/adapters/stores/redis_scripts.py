"""The Redis store's compound operations, as Lua scripts: each runs atomically in Redis.

Every script takes the key prefix as ``ARGV[1]`` and reads the rest of ``ARGV`` in order
through ``arg()``. Keys are built inside the scripts (a run's old state names the index it
leaves), so they suit one Redis (or a Sentinel-managed primary), not Redis Cluster.

Times are integer microseconds of the adapter's ``Clock``, passed in by the caller: Redis' own
clock judges nothing but the garbage-collection TTL of dedupe keys.

Keys, under the prefix::

    lease:<name>            hash owner, token, expires_us; never deleted, so tokens only grow
    run:<id>                hash state, body, member, created_us
    runs, runs:state:<s>    sorted sets of run members by created_us (member: 16-digit n:id)
    stages:<run_id>         hash stage -> body
    events:<run_id>         stream, entry ids 0-<seq>, field body
    audit, audit:seq        hash seq -> body, and its counter
    audit:subject:<s>       list of the subject's seqs
    approvals:<subject>     list of bodies; approvals:seen:<subject> set of user/decision
    dedupe:<key>            the Clock's expiry (us), with a generous real TTL
    incident:<id>           hash body, member; incidents, incidents:open sorted sets
    silences                hash id -> body
    scores                  list of bodies, trimmed to the newest ``keep``
    objsync:<pair>          the pair's object sync state (a body)
    objsync:passes:<pair>   list of pass bodies, trimmed to the newest ``keep``
"""

from __future__ import annotations

_PRELUDE = """
local P = ARGV[1]
local argi = 1
local function arg()
  argi = argi + 1
  return ARGV[argi]
end
local function member_of(n, id)
  return string.format('%016d:', n) .. id
end
local function append_audit(subject, body)
  local seq = redis.call('INCR', P .. 'audit:seq')
  redis.call('HSET', P .. 'audit', seq, body)
  redis.call('RPUSH', P .. 'audit:subject:' .. subject, seq)
  return seq
end
local function audits()
  local n = tonumber(arg())
  local seqs = {}
  for i = 1, n do
    local subject = arg()
    local body = arg()
    seqs[i] = append_audit(subject, body)
  end
  return seqs
end
local function move_run(key, state)
  local old = redis.call('HGET', key, 'state')
  if old == state then
    return
  end
  local member = redis.call('HGET', key, 'member')
  local score = redis.call('HGET', key, 'created_us')
  redis.call('ZREM', P .. 'runs:state:' .. old, member)
  redis.call('ZADD', P .. 'runs:state:' .. state, score, member)
  redis.call('HSET', key, 'state', state)
end
"""

ACQUIRE = """
local key = P .. 'lease:' .. arg()
local owner = arg()
local now = tonumber(arg())
local expires = arg()
local cur = redis.call('HMGET', key, 'owner', 'token', 'expires_us')
if cur[3] and tonumber(cur[3]) > now then
  if cur[1] ~= owner then
    return false
  end
  redis.call('HSET', key, 'expires_us', expires)
  return tonumber(cur[2])
end
local token = redis.call('HINCRBY', key, 'token', 1)
redis.call('HSET', key, 'owner', owner, 'expires_us', expires)
return token
"""

_HELD = """
local function held(key, owner, token, now)
  local cur = redis.call('HMGET', key, 'owner', 'token', 'expires_us')
  if cur[1] ~= owner or cur[2] ~= token then
    return 'lost'
  end
  if tonumber(cur[3]) <= now then
    return 'expired'
  end
  return 'held'
end
local function held_as_passed()
  local key = P .. 'lease:' .. arg()
  local owner = arg()
  local token = arg()
  local now = tonumber(arg())
  return held(key, owner, token, now)
end
"""

RENEW = (
    _HELD
    + """
local key = P .. 'lease:' .. arg()
local owner = arg()
local token = arg()
local now = tonumber(arg())
local expires = arg()
local state = held(key, owner, token, now)
if state == 'held' then
  redis.call('HSET', key, 'expires_us', expires)
end
return state
"""
)

RELEASE = """
local key = P .. 'lease:' .. arg()
local owner = arg()
local token = arg()
local cur = redis.call('HMGET', key, 'owner', 'token')
if cur[1] ~= owner or cur[2] ~= token then
  return 0
end
redis.call('HSET', key, 'owner', '', 'expires_us', 0)
return 1
"""

RECORD = (
    _HELD
    + """
local state = held_as_passed()
local run_id = arg()
if state ~= 'held' then
  return {state, 0}
end
local run_key = P .. 'run:' .. run_id
if arg() == '1' then
  local run_state = arg()
  local body = arg()
  if redis.call('EXISTS', run_key) == 0 then
    return {'norun', 0}
  end
  move_run(run_key, run_state)
  redis.call('HSET', run_key, 'body', body)
end
local n = tonumber(arg())
for _ = 1, n do
  local stage = arg()
  local body = arg()
  redis.call('HSET', P .. 'stages:' .. run_id, stage, body)
end
n = tonumber(arg())
local events = P .. 'events:' .. run_id
local first = redis.call('XLEN', events) + 1
for i = 0, n - 1 do
  redis.call('XADD', events, '0-' .. (first + i), 'body', arg())
end
audits()
return {'ok', first}
"""
)

CREATE_RUN = """
local run_id = arg()
local state = arg()
local created = arg()
local body = arg()
local key = P .. 'run:' .. run_id
if redis.call('EXISTS', key) == 1 then
  return 0
end
local member = member_of(redis.call('INCR', P .. 'runs:n'), run_id)
redis.call('HSET', key, 'state', state, 'body', body, 'member', member, 'created_us', created)
redis.call('ZADD', P .. 'runs', created, member)
redis.call('ZADD', P .. 'runs:state:' .. state, created, member)
audits()
return 1
"""

UPDATE_RUN = """
local key = P .. 'run:' .. arg()
local expect = arg()
local state = arg()
local body = arg()
if redis.call('HGET', key, 'state') ~= expect then
  return 0
end
move_run(key, state)
redis.call('HSET', key, 'body', body)
audits()
return 1
"""

NEWEST = """
local bodies = P .. arg()
local limit = tonumber(arg())
local items = {}
while argi < #ARGV do
  local got = redis.call('ZREVRANGE', P .. arg(), 0, limit - 1, 'WITHSCORES')
  for i = 1, #got, 2 do
    items[#items + 1] = {got[i], tonumber(got[i + 1])}
  end
end
table.sort(items, function(a, b)
  if a[2] ~= b[2] then
    return a[2] > b[2]
  end
  return a[1] > b[1]
end)
local out = {}
for i = 1, math.min(limit, #items) do
  out[i] = redis.call('HGET', bodies .. string.sub(items[i][1], 18), 'body')
end
return out
"""

APPEND_AUDIT = """
return audits()[1]
"""

LIST_AUDIT = """
local by_subject = arg()
local subject = arg()
local limit = tonumber(arg())
local seqs
if by_subject == '1' then
  seqs = redis.call('LRANGE', P .. 'audit:subject:' .. subject, -limit, -1)
else
  local last = tonumber(redis.call('GET', P .. 'audit:seq') or '0')
  seqs = {}
  for seq = math.max(1, last - limit + 1), last do
    seqs[#seqs + 1] = seq
  end
end
local out = {}
for i = 1, #seqs do
  out[2 * i - 1] = tonumber(seqs[i])
  out[2 * i] = redis.call('HGET', P .. 'audit', seqs[i])
end
return out
"""

ADD_APPROVAL = """
local subject = arg()
local seen = arg()
local body = arg()
if redis.call('SADD', P .. 'approvals:seen:' .. subject, seen) == 0 then
  return 0
end
redis.call('RPUSH', P .. 'approvals:' .. subject, body)
return 1
"""

CLAIM = """
local key = P .. 'dedupe:' .. arg()
local now = tonumber(arg())
local expires = arg()
local keep_ms = arg()
local cur = redis.call('GET', key)
if cur and tonumber(cur) > now then
  return 0
end
redis.call('SET', key, expires, 'PX', keep_ms)
return 1
"""

SAVE_INCIDENT = """
local id = arg()
local status = arg()
local opened = arg()
local body = arg()
local key = P .. 'incident:' .. id
local old = redis.call('HGET', key, 'member')
if old then
  redis.call('ZREM', P .. 'incidents', old)
  redis.call('ZREM', P .. 'incidents:open', old)
end
local member = member_of(redis.call('INCR', P .. 'incidents:n'), id)
redis.call('HSET', key, 'body', body, 'member', member)
redis.call('ZADD', P .. 'incidents', opened, member)
if status == 'open' then
  redis.call('ZADD', P .. 'incidents:open', opened, member)
end
"""

RECORD_OBJECT_SYNC = (
    _HELD
    + """
local state = held_as_passed()
if state ~= 'held' then
  return state
end
local pair = arg()
redis.call('SET', P .. 'objsync:' .. pair, arg())
if arg() == '1' then
  local passes = P .. 'objsync:passes:' .. pair
  redis.call('RPUSH', passes, arg())
  redis.call('LTRIM', passes, -tonumber(arg()), -1)
end
return 'ok'
"""
)

SCRIPTS = {
    "acquire": ACQUIRE,
    "renew": RENEW,
    "release": RELEASE,
    "record": RECORD,
    "create_run": CREATE_RUN,
    "update_run": UPDATE_RUN,
    "newest": NEWEST,
    "append_audit": APPEND_AUDIT,
    "list_audit": LIST_AUDIT,
    "add_approval": ADD_APPROVAL,
    "claim": CLAIM,
    "save_incident": SAVE_INCIDENT,
    "record_object_sync": RECORD_OBJECT_SYNC,
}
"""Every script, by name, without the prelude (``source`` adds it)."""


def source(name: str) -> str:
    return _PRELUDE + SCRIPTS[name]

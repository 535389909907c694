"""Every Redis key the project uses, in one place. Lua scripts receive the prefix as ARGV[1]."""

PREFIX = "mb:"


def user(uid: str) -> str:
    return f"{PREFIX}user:{uid}"


def queue(skill: str) -> str:
    """ZSET of waiting mentee ids, scored by queue order (lower = nearer the front). A mentor's
    personal requests wait in the queue named ``direct_queue(mentor)``."""
    return f"{PREFIX}queue:{skill}"


def direct_queue(mentor_uid: str) -> str:
    """The queue name (not a key) of the personal requests ("Ask Jamie") to one mentor."""
    return f"@{mentor_uid}"


def mentee(uid: str) -> str:
    """HASH of a waiting mentee's ticket: ticket_id, skill, question, joined_at."""
    return f"{PREFIX}mentee:{uid}"


def mentor(uid: str) -> str:
    """HASH of a mentor's burst: state, skills, burst_ends_at, max_sessions, sessions_done, burst."""
    return f"{PREFIX}mentor:{uid}"


def idle(skill: str) -> str:
    """ZSET of idle mentor ids for a skill, scored by idle-since (lower = idle longer)."""
    return f"{PREFIX}idle:{skill}"


def online(skill: str) -> str:
    """SET of mentor ids online for a skill, whatever their state."""
    return f"{PREFIX}online:{skill}"


def declined(mentor_uid: str, burst: str) -> str:
    """SET of ticket ids (questions) a mentor declined in this burst: never offered it again in
    it. A new question from the same person is a new ticket."""
    return f"{PREFIX}declined:{mentor_uid}:{burst}"


def unreachable(mentor_uid: str, burst: str) -> str:
    """SET of mentee ids a mentor failed to connect with in this burst (both showed, media never
    flowed): that pair is not matched again in it, whatever the question."""
    return f"{PREFIX}unreachable:{mentor_uid}:{burst}"


def blocked(uid: str) -> str:
    return f"{PREFIX}blocked:{uid}"


def session(sid: str) -> str:
    return f"{PREFIX}session:{sid}"


def chat(sid: str) -> str:
    """LIST of a session's chat messages (JSON), oldest first: the order everyone sees."""
    return f"{PREFIX}chat:{sid}"


def notes(sid: str) -> str:
    """LIST of a session's shared-notes changes (Yjs updates, base64), oldest first; compacted
    into one merged update now and then (the generation is the session's ``notes_gen``)."""
    return f"{PREFIX}notes:{sid}"


def gone(uid: str) -> str:
    """STRING: when the user's last socket closed (its grace started), for the drop credit."""
    return f"{PREFIX}gone:{uid}"


def live_session(uid: str) -> str:
    """STRING: the one session a user is in now."""
    return f"{PREFIX}live:{uid}"


def ratings(sid: str) -> str:
    """HASH rater id -> rating JSON."""
    return f"{PREFIX}ratings:{sid}"


def reputation(uid: str) -> str:
    """HASH count/sum of ratings received as a mentor."""
    return f"{PREFIX}reputation:{uid}"


GLOBAL_REPUTATION = f"{PREFIX}reputation:*all*"


def skill_reputation(uid: str) -> str:
    """HASH "<skill>:count" / "<skill>:sum" of ratings received as a mentor, per skill."""
    return f"{PREFIX}skillrep:{uid}"


def history(uid: str) -> str:
    """ZSET of session ids a user took part in, scored by matched_at."""
    return f"{PREFIX}history:{uid}"


def service(skill: str) -> str:
    """HASH of a skill's measured service time (EWMA of seconds a mentor spends per mentee)."""
    return f"{PREFIX}service:{skill}"


REPORTS = f"{PREFIX}reports"  # LIST of the newest reports (scripts.REPORTS_MAX), for moderation


def reports_about(uid: str) -> str:
    """ZSET of who reported this user, scored by when; entries and the key live for the history
    retention after the last report."""
    return f"{PREFIX}reports:{uid}"


def session_reports(sid: str) -> str:
    """HASH reporter id -> report JSON: at most one per person per session, kept for the history
    retention."""
    return f"{PREFIX}report:{sid}"


TIMERS = f"{PREFIX}timers"
NODES = f"{PREFIX}nodes"
ACTIVE = f"{PREFIX}active"  # SET of session ids matched or live


def noshows(uid: str) -> str:
    """ZSET of session ids this user did not show up for, scored by when."""
    return f"{PREFIX}noshows:{uid}"


def sockets(uid: str) -> str:
    """SET of "<node>|<sid>" for every socket a user holds on any node."""
    return f"{PREFIX}sockets:{uid}"


def node_users(node: str) -> str:
    """SET of user ids with a socket on a node, swept when the node stops heartbeating."""
    return f"{PREFIX}node-users:{node}"


def event(event_id: str) -> str:
    """HASH: title, code, host, round_seconds, rounds, break_seconds, skills, state, round, ends_at,
    created_at, announcement, announcement_at."""
    return f"{PREFIX}event:{event_id}"


def event_code(code: str) -> str:
    return f"{PREFIX}event-code:{code}"


def event_people(event_id: str) -> str:
    """HASH user id -> JSON {name, role, skills, intro, joined_round}."""
    return f"{PREFIX}event:{event_id}:people"


def event_left(event_id: str) -> str:
    """HASH user id -> the round in which the person left."""
    return f"{PREFIX}event:{event_id}:left"


def event_sitouts(event_id: str) -> str:
    """HASH user id -> rounds sat out."""
    return f"{PREFIX}event:{event_id}:sitouts"


def event_met(event_id: str) -> str:
    """SET of "<mentor>|<mentee>" pairs that already met in this event."""
    return f"{PREFIX}event:{event_id}:met"


def event_rounds(event_id: str) -> str:
    """HASH round number -> JSON {started_at, ends_at}."""
    return f"{PREFIX}event:{event_id}:rounds"


def round_pairs(event_id: str, round_no: int) -> str:
    """HASH session id -> "<mentor>|<mentee>": the calls of one round, each added as it is booked."""
    return f"{PREFIX}event:{event_id}:round:{round_no}"


def round_out(event_id: str, round_no: int) -> str:
    """SET of people sitting a round out (left when re-paired into a call)."""
    return f"{PREFIX}event:{event_id}:round:{round_no}:out"


def event_prompts(event_id: str) -> str:
    """HASH round number -> the host's prompt for that round's calls."""
    return f"{PREFIX}event:{event_id}:prompts"


def user_event(user_id: str) -> str:
    """STRING: the event a user takes part in now."""
    return f"{PREFIX}user-event:{user_id}"


def hosted_events(user_id: str) -> str:
    """SET of the event ids a user created (and hosts)."""
    return f"{PREFIX}hosted:{user_id}"


# -- accounts (server/domain/accounts/) ----------------------------------------------------------------
# mb:user:{uid} also carries: kind (guest|passkey|sso), epoch (token epoch), headline, expertise,
# profile_skills, webauthn_handle, sso_issuer, sso_sub, email, updated_at.


def passkeys(uid: str) -> str:
    """HASH credential id (base64url) -> JSON {label, public_key, sign_count, transports, ...}."""
    return f"{PREFIX}passkeys:{uid}"


def credential(credential_id: str) -> str:
    """STRING: the user a passkey credential id belongs to."""
    return f"{PREFIX}credential:{credential_id}"


def sso_link(issuer_digest: str, sub: str) -> str:
    """STRING: the user an organisation identity (issuer, sub) maps to."""
    return f"{PREFIX}sso:{issuer_digest}:{sub}"


def ceremony(ceremony_id: str) -> str:
    """HASH of a WebAuthn ceremony in progress: purpose, challenge, user; expires in minutes."""
    return f"{PREFIX}ceremony:{ceremony_id}"


def oidc_flow(state: str) -> str:
    """HASH of an OIDC sign-in in progress: nonce, verifier, binding, link; expires in minutes."""
    return f"{PREFIX}oidc-flow:{state}"


def precall(uid: str) -> str:
    """STRING while the user's pre-call check runs (one at a time, on any node)."""
    return f"{PREFIX}precall:{uid}"


def revoked_token(token_id: str) -> str:
    """STRING while a signed-out token would still be valid (expires with it)."""
    return f"{PREFIX}revoked:{token_id}"


# -- matching, follow-through and the program (issue 15) --------------------------------------
# mb:user:{uid} also carries office_hours (JSON list, server/domain/program/office_hours.py).
# mb:session:{sid} also carries direct (the mentor of a personal request), applied_note,
# applied_at and applied_skipped (server/domain/program/followups.py).


def watchers(kind: str, target: str) -> str:
    """SET of users to tell once when a mentor (kind ``mentor``) or any mentor of a skill
    (kind ``skill``) comes online."""
    return f"{PREFIX}watchers:{kind}:{target}"


def watching(uid: str) -> str:
    """SET of "<kind>:<target>" a user watches (the other side of ``watchers``)."""
    return f"{PREFIX}watching:{uid}"


def bucket(name: str, who: str) -> str:
    """HASH ``tokens``, ``at``: a token bucket (``token_bucket.lua``), e.g. logins per address."""
    return f"{PREFIX}bucket:{name}:{who}"


MENTORS = f"{PREFIX}mentors"  # SET: the directory's people (went online, or wrote a profile)
ADMINS = f"{PREFIX}admins"  # SET of user ids with the admin role (mentorburst admin grant)


def log(name: str) -> str:
    """ZSET logs the analytics read, kept and trimmed to the history retention as written:
    ``sessions`` (session ids by matched_at), ``joins`` ("ticket|mentee|skill" by join time),
    ``bursts`` ("burst|mentor|started_at|ended_at|sessions_done" by end)."""
    return f"{PREFIX}log:{name}"

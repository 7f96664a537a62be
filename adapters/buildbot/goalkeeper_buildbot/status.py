"""What a goal build shows and how it ends, read from gk_query {"what": "status"}."""

from buildbot.process.results import FAILURE, SUCCESS, WARNINGS

TERMINAL = ("done", "skipped", "failed")
MAX_TEXT = 480  # Buildbot shows a step's state string on one line


def _waits_on_person(goal):
    """True when nothing of the goal moves until a person acts (review, approval, resume)."""
    if goal["state"] in ("paused", "stopped"):
        return True
    active = goal.get("active", [])
    if any("job_key" in a for a in active):
        return False
    if any(set(a.get("waits_for", [])) - {"human_approval"} for a in active if "gate" in a):
        return False
    return bool(goal.get("pending_review") or goal.get("blocked") or active)


def verdict(goals):
    """SUCCESS / FAILURE / WARNINGS once every goal is done, failed or waits on a person;
    None while one still progresses."""
    failed = any(g["status"] == "failed" for g in goals)
    if all(g["state"] == "finished" for g in goals):
        return FAILURE if failed else SUCCESS
    if all(g["state"] == "finished" or _waits_on_person(g) for g in goals):
        return FAILURE if failed else WARNINGS
    return None


def _waiting(goal):
    gid = goal["goal_id"]
    for t in goal.get("pending_review", []):
        # A spec-mode plan waits as the goal itself, and is decided by the goal's id.
        ref = gid if t["task_id"] == gid else f"{gid}/{t['task_id']}"
        yield f"{ref} waits for a person's review (goalkeeper approve {ref})"
    for a in goal.get("active", []):
        if "gate" in a and a.get("waits_for"):
            who = "a person" if set(a["waits_for"]) <= {"human_approval"} else "/".join(a["waits_for"])
            yield f"{gid}/{a['task_id']} waits on {who}"
    for t in goal.get("blocked", []):
        yield f"{gid}/{t['task_id']} is blocked until a person resumes {gid}"
    if goal["state"] in ("paused", "stopped"):
        yield f"{gid} is {goal['state']} (goalkeeper resume {gid})"


def text(goals, running):
    parts = []
    for g in goals:
        p = g.get("progress", {})
        parts.append(f"{g['goal_id']} {g['status']} {p.get('done', 0)}/{p.get('total', 0)}")
    if running:
        parts.append(f"{running} session(s) running")
    parts.extend(w for g in goals for w in _waiting(g))
    line = "; ".join(parts)
    return line if len(line) <= MAX_TEXT else line[:MAX_TEXT - 3] + "..."

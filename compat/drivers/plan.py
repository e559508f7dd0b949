"""Shared by the Python drivers: reading the suite's plan, filling in saved
variables and reporting one JSON line per step."""
import json
import re
import sys
import time


def load():
    with open(sys.argv[-1], encoding="utf-8") as f:
        return json.load(f)


def emit(obj):
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


class MissingVariable(Exception):
    pass


def substitute(value, variables):
    """Replaces "${name}" strings with saved variables."""
    if isinstance(value, str):
        m = re.fullmatch(r"\$\{(\w+)\}", value)
        if not m:
            return value
        if not variables.get(m.group(1)):
            raise MissingVariable(f"variable {m.group(1)} is not set: the step that saves it failed")
        return variables[m.group(1)]
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def lookup(value, path):
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def polled(step, params, call):
    """Makes the step's call, and repeats it while the step polls and the
    resource is not done yet; returns the last outcome and the calls made."""
    poll = step.get("poll")
    deadline = time.monotonic() + (poll["timeout"] if poll else 0)
    calls = 0
    while True:
        status, value = call(step, params)
        calls += 1
        if not poll or status != "ok":
            return status, value, calls
        state = lookup(value, poll["path"])
        if state in poll["until"]:
            return status, value, calls
        if time.monotonic() > deadline:
            return "fail", f"{poll['path']} still {state} after {poll['timeout']} s ({calls} calls)", calls
        time.sleep(poll["interval"])


def run(plan, call, lacking=lambda step: None):
    """Runs every step with call(step, input), which returns
    ("ok", output) or ("error", error) or ("lacks", why). lacking(step)
    says why the client has no such operation; it is asked when the input
    cannot be built because an earlier step could not save a value."""
    variables = dict(plan.get("vars") or {})
    for step in plan["steps"]:
        result = {"id": step["id"]}
        try:
            params = substitute(step["input"], variables)
        except MissingVariable as e:
            why = lacking(step)
            if why:
                result.update(status="lacks", detail=why)
            else:
                result.update(status="fail", detail=str(e))
            emit(result)
            continue
        status, value, result["calls"] = polled(step, params, call)
        result["status"] = status
        if status == "ok":
            result["output"] = json.loads(json.dumps(value or {}, default=str))
            for name, path in (step.get("save") or {}).items():
                v = lookup(result["output"], path)
                if isinstance(v, str):
                    variables[name] = v
        elif status == "error":
            result["error"] = value
        else:
            result["detail"] = value
        emit(result)

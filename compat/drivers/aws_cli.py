"""Drives an AWS CLI (v1 or v2, given with --aws) through the suite's plan.

Each step is one `aws` process with --endpoint-url; credentials and region
come from the environment. PutEvents is sent in the three forms the CLI
documents for --event-list: JSON syntax, shorthand syntax, and a
--generate-cli-skeleton filled in and passed back with --cli-input-json.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

from plan import emit, load, run

aws = shlex.split(sys.argv[sys.argv.index("--aws") + 1])
plan = load()


def cli(*args):
    proc = subprocess.run(aws + list(args), capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


code, out, err = cli("--version")
emit({"version": (out or err).strip()})


def kebab(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def arg_value(value):
    if isinstance(value, str):
        return value
    return json.dumps(value)


def shorthand_scalar(value):
    if isinstance(value, str) and re.search(r"[,=\[\]{}'\" ]", value):
        return "'" + value + "'"
    return str(value)


# The member order of --event-list's documented shorthand, which ends with
# a bare list: eventId=string,...,recommendationId=string,impression=string,string
SHORTHAND_ORDER = ["eventId", "eventType", "eventValue", "itemId", "properties", "sentAt",
                   "recommendationId", "metricAttribution", "impression"]


def shorthand(value):
    """A structure in the CLI's shorthand syntax: k=v,k={k=v},k=a,b with a
    list written bare when it comes last and in brackets otherwise."""
    keys = sorted(value, key=lambda k: SHORTHAND_ORDER.index(k) if k in SHORTHAND_ORDER else len(SHORTHAND_ORDER))
    parts = []
    for i, k in enumerate(keys):
        v = value[k]
        if isinstance(v, list):
            items = ",".join(shorthand_scalar(x) for x in v)
            parts.append(f"{k}={items}" if i == len(keys) - 1 else f"{k}=[{items}]")
        elif isinstance(v, dict):
            parts.append(f"{k}={{{shorthand(v)}}}")
        else:
            parts.append(f"{k}={shorthand_scalar(v)}")
    return ",".join(parts)


def fill(skeleton, value, where):
    """Fills a --generate-cli-skeleton template with value, failing on any
    member the template does not have."""
    if isinstance(value, dict):
        if not isinstance(skeleton, dict):
            raise KeyError(f"{where} is not a structure in the skeleton")
        out = {}
        for k, v in value.items():
            if k not in skeleton:
                raise KeyError(f"the skeleton has no {where}.{k}")
            out[k] = fill(skeleton[k], v, f"{where}.{k}")
        return out
    if isinstance(value, list):
        if not isinstance(skeleton, list) or not skeleton:
            raise KeyError(f"{where} is not a list in the skeleton")
        return [fill(skeleton[0], v, f"{where}[]") for v in value]
    return value


ERROR = re.compile(r"An error occurred \((\w+)\) when calling the (\w+) operation(?: \(reached max retries: \d+\))?: (.*)", re.S)


def call(step, params):
    service, command = step["api"], kebab(step["op"])
    args = [service, command, "--endpoint-url", plan["endpoint"], "--output", "json"]
    variant = step.get("variant")
    params = dict(params)
    cleanup = None
    if variant == "shorthand":
        args += ["--event-list"] + [shorthand(e) for e in params.pop("eventList")]
    elif variant == "skeleton":
        code, out, err = cli(service, command, "--generate-cli-skeleton")
        if code != 0:
            return lacks_or_fail(code, out, err, service, command)
        try:
            filled = fill(json.loads(out), params, "input")
        except (KeyError, ValueError) as e:
            return "fail", f"--generate-cli-skeleton round trip: {e}"
        f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(filled, f)
        f.close()
        cleanup = f.name
        args += ["--cli-input-json", "file://" + f.name]
        params = {}
    for k, v in params.items():
        args += ["--" + kebab(k), arg_value(v)]
    try:
        code, out, err = cli(*args)
    finally:
        if cleanup:
            os.unlink(cleanup)
    if code == 0:
        return "ok", json.loads(out) if out.strip() else {}
    m = ERROR.search(err)
    if m:
        return "error", {"code": m.group(1), "message": m.group(3).strip(), "class": m.group(1)}
    return lacks_or_fail(code, out, err, service, command)


def lacks_or_fail(code, out, err, service, command):
    """A command this CLI does not have is reported with the CLI's own
    usage message as evidence; anything else is a failure."""
    if "argument operation: Invalid choice" in err:
        choices = re.search(r"valid choices are:(.*)", err, re.S)
        listed = ", ".join(re.findall(r"[\w-]+", choices.group(1))) if choices else err.strip()
        return "lacks", f"`aws {service} {command}` is not a command of this CLI; its usage lists: {listed}"
    return "fail", f"exit {code}: {err.strip() or out.strip()}"


commands = {}


def lacking(step):
    """Whether this CLI has the step's command, asked once per command with
    --generate-cli-skeleton, which sends no request."""
    key = (step["api"], kebab(step["op"]))
    if key not in commands:
        code, out, err = cli(*key, "--generate-cli-skeleton")
        status, why = lacks_or_fail(code, out, err, *key) if code != 0 else ("ok", None)
        commands[key] = why if status == "lacks" else None
    return commands[key]


run(plan, call, lacking)

"""Drives boto3 through the suite's plan: clients made with only an
endpoint_url (credentials and region come from the environment)."""
import datetime
import re

import boto3
import botocore

from plan import emit, load, run

plan = load()
emit({"version": f"boto3 {boto3.__version__} (botocore {botocore.__version__})"})
session = boto3.session.Session()
clients = {api: session.client(api, endpoint_url=plan["endpoint"])
           for api in ("personalize", "personalize-events", "personalize-runtime")}


def with_datetimes(value, key=None):
    """Timestamps as a boto3 caller passes them: datetime objects."""
    if key in ("sentAt", "timestamp") and isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if isinstance(value, list):
        return [with_datetimes(v) for v in value]
    if isinstance(value, dict):
        return {k: with_datetimes(v, k) for k, v in value.items()}
    return value


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def call(step, params):
    client = clients[step["api"]]
    try:
        out = getattr(client, snake(step["op"]))(**with_datetimes(params))
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        return "error", {
            "code": err.get("Code"),
            "message": err.get("Message"),
            # Modeled errors are raised as client.exceptions.<Code>.
            "class": type(e).__name__,
            "httpStatus": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
        }
    except botocore.exceptions.BotoCoreError as e:
        return "error", {"code": "", "message": str(e), "class": type(e).__name__}
    out.pop("ResponseMetadata", None)
    return "ok", out


run(plan, call)

import datetime
import os

import boto3

events = boto3.client("personalize-events", endpoint_url="http://127.0.0.1:8080",
                      region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")
events.put_events(
    trackingId=os.environ["TRACKING_ID"], userId="user-1", sessionId="session-1",
    eventList=[{"eventId": "boto3-1", "eventType": "click", "itemId": "item-42",
                "sentAt": datetime.datetime.now(datetime.timezone.utc),
                "properties": '{"device": "phone"}'}],
)

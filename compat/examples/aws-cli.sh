aws personalize-events put-events --endpoint-url http://127.0.0.1:8080 \
  --tracking-id "$TRACKING_ID" --user-id user-1 --session-id session-1 \
  --event-list '[{"eventId": "cli-1", "eventType": "click", "itemId": "item-42",
                  "sentAt": 1700000000, "properties": "{\"device\": \"phone\"}"}]'

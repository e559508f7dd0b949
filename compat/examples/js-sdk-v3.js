const { PersonalizeEventsClient, PutEventsCommand } = require('@aws-sdk/client-personalize-events');

const client = new PersonalizeEventsClient({
  endpoint: 'http://127.0.0.1:8080', region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
client.send(new PutEventsCommand({
  trackingId: process.env.TRACKING_ID, userId: 'user-1', sessionId: 'session-1',
  eventList: [{ eventId: 'js-v3-1', eventType: 'click', itemId: 'item-42', sentAt: new Date(),
                properties: JSON.stringify({ device: 'phone' }) }],
}));

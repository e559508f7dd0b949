let amazonaws_personalize_events = require('@datafire/amazonaws_personalize_events').create({
  accessKeyId: 'local',
  secretAccessKey: 'local',
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:8080', // passed on to the AWS SDK
});

amazonaws_personalize_events.PutEvents({
  trackingId: process.env.TRACKING_ID, userId: 'user-1', sessionId: 'session-1',
  eventList: [{ eventId: 'datafire-1', eventType: 'click', itemId: 'item-42', sentAt: new Date().toISOString() }],
});

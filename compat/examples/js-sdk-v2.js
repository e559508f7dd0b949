const AWS = require('aws-sdk');

const personalizeevents = new AWS.PersonalizeEvents({
  endpoint: 'http://127.0.0.1:8080', region: 'us-east-1',
  accessKeyId: 'local', secretAccessKey: 'local',
});
personalizeevents.putEvents({
  trackingId: process.env.TRACKING_ID, userId: 'user-1', sessionId: 'session-1',
  eventList: [{ eventId: 'js-v2-1', eventType: 'click', itemId: 'item-42', sentAt: new Date(),
                properties: { device: 'phone' } }], // the SDK JSON-encodes properties
}, (err) => { if (err) throw err; });

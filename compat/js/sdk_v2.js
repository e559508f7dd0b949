// Drives the AWS SDK for JavaScript v2 (aws-sdk) through the suite's plan.
// The events calls are made the way the SDK's reference shows them
// (callbacks), the control plane and the runtime with .promise(), and the
// reference's own examples are kept below, as written apart from their
// values.
'use strict';
const AWS = require('aws-sdk');
const { load, emit, withDates, propertiesAsObjects, lowerFirst, run } = require('./plan');

const plan = load();
emit({ version: 'aws-sdk ' + AWS.VERSION });

const options = {
  endpoint: plan.endpoint,
  region: plan.region,
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
};
const personalize = new AWS.Personalize(options);
const runtime = new AWS.PersonalizeRuntime(options);
var personalizeevents = new AWS.PersonalizeEvents(Object.assign({ apiVersion: '2018-03-22' }, options));

function call(step, input) {
  if (step.variant && step.variant.startsWith('seed-')) {
    return seedExamples[step.op](input, step.variant === 'seed-callback');
  }
  const params = propertiesAsObjects(withDates(input));
  if (step.api === 'personalize') {
    return personalize[lowerFirst(step.op)](params).promise();
  }
  if (step.api === 'personalize-runtime') {
    return runtime[lowerFirst(step.op)](params).promise();
  }
  return new Promise((resolve, reject) => {
    personalizeevents[lowerFirst(step.op)](params, function (err, data) {
      if (err) reject(err); // an error occurred
      else resolve(data); // successful response
    });
  });
}

// settle sends a request built by an example with a callback or with
// .promise().
function settle(withCallback, send) {
  if (!withCallback) return send().promise();
  return new Promise((resolve, reject) => {
    send(function (err, data) {
      if (err) reject(err);
      else resolve(data);
    });
  });
}

// The examples of the AWS.PersonalizeEvents reference, one per operation.
// sentAt/timestamp take the forms the reference lists: a Date with a
// callback, epoch seconds with .promise().
const seedExamples = {
  PutEvents(v, withCallback) {
    const e = v.eventList[0];
    var params = {
      eventList: [ /* required */
        {
          eventType: e.eventType, /* required */
          sentAt: withCallback ? new Date(Math.round(e.sentAt * 1000)) : e.sentAt, /* required */
          eventId: e.eventId,
          eventValue: e.eventValue,
          impression: [
            e.impression[0],
            e.impression[1],
            /* more items */
          ],
          itemId: e.itemId,
          metricAttribution: {
            eventAttributionSource: e.metricAttribution.eventAttributionSource /* required */
          },
          properties: JSON.parse(e.properties) /* This value will be JSON encoded on your behalf with JSON.stringify() */,
          recommendationId: e.recommendationId
        },
        /* more items */
      ],
      sessionId: v.sessionId, /* required */
      trackingId: v.trackingId, /* required */
      userId: v.userId
    };
    return settle(withCallback, (cb) => personalizeevents.putEvents(params, cb));
  },
  PutItems(v, withCallback) {
    var params = {
      datasetArn: v.datasetArn, /* required */
      items: [ /* required */
        {
          itemId: v.items[0].itemId, /* required */
          properties: JSON.parse(v.items[0].properties) /* This value will be JSON encoded on your behalf with JSON.stringify() */
        },
        /* more items */
      ]
    };
    return settle(withCallback, (cb) => personalizeevents.putItems(params, cb));
  },
  PutUsers(v, withCallback) {
    var params = {
      datasetArn: v.datasetArn, /* required */
      users: [ /* required */
        {
          userId: v.users[0].userId, /* required */
          properties: JSON.parse(v.users[0].properties) /* This value will be JSON encoded on your behalf with JSON.stringify() */
        },
        /* more items */
      ]
    };
    return settle(withCallback, (cb) => personalizeevents.putUsers(params, cb));
  },
  PutActions(v, withCallback) {
    var params = {
      actions: [ /* required */
        {
          actionId: v.actions[0].actionId, /* required */
          properties: JSON.parse(v.actions[0].properties) /* This value will be JSON encoded on your behalf with JSON.stringify() */
        },
        /* more items */
      ],
      datasetArn: v.datasetArn /* required */
    };
    return settle(withCallback, (cb) => personalizeevents.putActions(params, cb));
  },
  PutActionInteractions(v, withCallback) {
    const a = v.actionInteractions[0];
    var params = {
      actionInteractions: [ /* required */
        {
          actionId: a.actionId, /* required */
          eventType: a.eventType, /* required */
          sessionId: a.sessionId, /* required */
          timestamp: withCallback ? new Date(Math.round(a.timestamp * 1000)) : a.timestamp, /* required */
          eventId: a.eventId,
          impression: [
            a.impression[0],
            /* more items */
          ],
          properties: JSON.parse(a.properties) /* This value will be JSON encoded on your behalf with JSON.stringify() */,
          recommendationId: a.recommendationId,
          userId: a.userId
        },
        /* more items */
      ],
      trackingId: v.trackingId /* required */
    };
    return settle(withCallback, (cb) => personalizeevents.putActionInteractions(params, cb));
  },
};

run(plan, call, (err) => ({
  code: err.code,
  message: err.message,
  class: err.name,
  httpStatus: err.statusCode,
}));

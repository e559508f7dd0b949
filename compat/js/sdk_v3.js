// Drives the AWS SDK for JavaScript v3 (@aws-sdk/client-personalize and
// @aws-sdk/client-personalize-events) through the suite's plan.
'use strict';
const cp = require('@aws-sdk/client-personalize');
const ev = require('@aws-sdk/client-personalize-events');
const { load, emit, withDates, propertiesAsObjects, run } = require('./plan');

const plan = load();
const version = (name) => require(name + '/package.json').version;
emit({ version: `@aws-sdk/client-personalize ${version('@aws-sdk/client-personalize')}, ` +
  `@aws-sdk/client-personalize-events ${version('@aws-sdk/client-personalize-events')}` });

const config = {
  endpoint: plan.endpoint,
  region: plan.region,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
};
const personalize = new cp.PersonalizeClient(config);
const events = new ev.PersonalizeEventsClient(config);

function call(step, input) {
  const mod = step.api === 'personalize' ? cp : ev;
  const client = step.api === 'personalize' ? personalize : events;
  // Events take properties as an object (the SDK encodes it); items,
  // users and actions as the JSON text, which the SDK sends unchanged.
  let params = withDates(input);
  if (step.op === 'PutEvents' || step.op === 'PutActionInteractions') params = propertiesAsObjects(params);
  return client.send(new mod[step.op + 'Command'](params)).then((out) => {
    delete out.$metadata;
    return out;
  });
}

run(plan, call, (err, step) => {
  // The class is the SDK's exported exception class the error is an
  // instance of, if any.
  const modeled = (step.api === 'personalize' ? cp : ev)[err.name];
  return {
    code: err.name,
    message: err.message,
    class: typeof modeled === 'function' && err instanceof modeled ? modeled.name : 'not an instance of ' + err.name,
    httpStatus: err.$metadata && err.$metadata.httpStatusCode,
  };
});

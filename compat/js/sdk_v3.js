// Drives the AWS SDK for JavaScript v3 (@aws-sdk/client-personalize,
// @aws-sdk/client-personalize-events and
// @aws-sdk/client-personalize-runtime) through the suite's plan.
'use strict';
const cp = require('@aws-sdk/client-personalize');
const ev = require('@aws-sdk/client-personalize-events');
const rt = require('@aws-sdk/client-personalize-runtime');
const { load, emit, withDates, propertiesAsObjects, run } = require('./plan');

const plan = load();
const packages = ['@aws-sdk/client-personalize', '@aws-sdk/client-personalize-events', '@aws-sdk/client-personalize-runtime'];
const version = (name) => require(name + '/package.json').version;
emit({ version: `@aws-sdk/client-personalize ${version(packages[0])}, -events ${version(packages[1])}, -runtime ${version(packages[2])}` });

const config = {
  endpoint: plan.endpoint,
  region: plan.region,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
};
// Each API's module (for its commands and exception classes) and client.
const apis = {
  'personalize': [cp, new cp.PersonalizeClient(config)],
  'personalize-events': [ev, new ev.PersonalizeEventsClient(config)],
  'personalize-runtime': [rt, new rt.PersonalizeRuntimeClient(config)],
};

function call(step, input) {
  const [mod, client] = apis[step.api];
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
  const modeled = apis[step.api][0][err.name];
  return {
    code: err.name,
    message: err.message,
    class: typeof modeled === 'function' && err instanceof modeled ? modeled.name : 'not an instance of ' + err.name,
    httpStatus: err.$metadata && err.$metadata.httpStatusCode,
  };
});

// Drives DataFire's @datafire/amazonaws_personalize_events through the
// suite's plan, used as its README shows: .create({...}) with the account,
// then PutEvents, PutItems, PutUsers. The account object is passed to the
// aws-sdk v2 constructor, so `endpoint` in it reaches the SDK.
'use strict';
const { load, emit, withDates, run } = require('./plan');

const plan = load();
emit({ version: '@datafire/amazonaws_personalize_events ' +
  require('@datafire/amazonaws_personalize_events/package.json').version +
  ' (datafire ' + require('datafire/package.json').version + ', aws-sdk ' + require('aws-sdk/package.json').version + ')' });

let amazonaws_personalize_events = require('@datafire/amazonaws_personalize_events').create({
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  region: plan.region,
  endpoint: plan.endpoint,
});

function call(step, input) {
  const action = amazonaws_personalize_events[step.op];
  if (typeof action !== 'function') {
    const has = Object.keys(amazonaws_personalize_events).filter((k) => typeof amazonaws_personalize_events[k] === 'function');
    return Promise.resolve({ lacks: `the integration has no ${step.op} action; it has ${has.join(', ')}` });
  }
  // DataFire's schema types timestamps as date-time strings.
  return action(withDates(input, (d) => d.toISOString()));
}

// DataFire rethrows an SDK error as a plain Error whose message is
// "Action <id> failed: <AWS message>" and whose stack is the SDK error's,
// which starts with "<code>: <message>".
run(plan, call, (err) => {
  const first = String(err.stack || '').split('\n')[0];
  const m = /^(\w+): /.exec(first);
  const prefix = /^Action \S+ failed: /;
  return {
    code: m ? m[1] : '',
    message: String(err.message).replace(prefix, ''),
    class: m ? m[1] : 'Error',
    httpStatus: err.statusCode,
  };
});

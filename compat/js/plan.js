// Shared by the JavaScript drivers: reading the suite's plan, filling in
// saved variables and reporting one JSON line per step.
'use strict';
const fs = require('fs');

function load() {
  return JSON.parse(fs.readFileSync(process.argv[process.argv.length - 1], 'utf8'));
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// substitute replaces "${name}" strings with saved variables.
function substitute(value, vars) {
  if (typeof value === 'string') {
    const m = /^\$\{(\w+)\}$/.exec(value);
    if (!m) return value;
    if (!vars[m[1]]) throw new Error(`variable ${m[1]} is not set: the step that saves it failed`);
    return vars[m[1]];
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, vars);
    return out;
  }
  return value;
}

// lookup finds a dotted path in an output.
function lookup(value, path) {
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    value = value[key];
  }
  return value;
}

// withDates turns the plan's epoch seconds into Date objects, as callers
// of the JavaScript SDKs pass them, or into what asDate makes of a Date.
function withDates(value, asDate = (d) => d) {
  if (Array.isArray(value)) return value.map((v) => withDates(v, asDate));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = (k === 'sentAt' || k === 'timestamp') && typeof v === 'number'
        ? asDate(new Date(Math.round(v * 1000))) : withDates(v, asDate);
    }
    return out;
  }
  return value;
}

// propertiesAsObjects turns properties text into the object a JavaScript
// caller passes (the SDK JSON-encodes it); text that is not a JSON object
// stays text, as a caller who already encoded it would pass it.
function propertiesAsObjects(value) {
  if (Array.isArray(value)) return value.map(propertiesAsObjects);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'properties' && typeof v === 'string') {
        try {
          const parsed = JSON.parse(v);
          out[k] = parsed && typeof parsed === 'object' ? parsed : v;
        } catch (e) {
          out[k] = v;
        }
      } else {
        out[k] = propertiesAsObjects(v);
      }
    }
    return out;
  }
  return value;
}

function lowerFirst(s) {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// polled makes the step's call, and repeats it while the step polls and
// the resource is not done yet; it resolves to the last output and the
// number of calls.
async function polled(step, input, call) {
  const poll = step.poll;
  const deadline = Date.now() + (poll ? poll.timeout * 1000 : 0);
  for (let calls = 1; ; calls++) {
    let out;
    try {
      out = await call(step, input);
    } catch (e) {
      if (e && typeof e === 'object') e.calls = calls;
      throw e;
    }
    if (!poll || (out && out.lacks)) return { out, calls };
    const state = lookup(out, poll.path);
    if (poll.until.includes(state)) return { out, calls };
    if (Date.now() > deadline) {
      return { calls, failed: `${poll.path} still ${state} after ${poll.timeout} s (${calls} calls)` };
    }
    await new Promise((resolve) => setTimeout(resolve, poll.interval * 1000));
  }
}

// run executes every step with call(step, input) -> Promise<output> and
// reports the outcome; describeError maps a rejection to the suite's form.
async function run(plan, call, describeError) {
  const vars = Object.assign({}, plan.vars);
  for (const step of plan.steps) {
    const result = { id: step.id };
    let input;
    try {
      input = substitute(step.input, vars);
    } catch (e) {
      emit(Object.assign(result, { status: 'fail', detail: e.message }));
      continue;
    }
    try {
      const { out, calls, failed } = await polled(step, input, call);
      result.calls = calls;
      if (failed) {
        emit(Object.assign(result, { status: 'fail', detail: failed }));
        continue;
      }
      if (out && out.lacks) {
        emit(Object.assign(result, { status: 'lacks', detail: out.lacks }));
        continue;
      }
      result.status = 'ok';
      result.output = JSON.parse(JSON.stringify(out || {}));
      for (const [name, path] of Object.entries(step.save || {})) {
        const v = lookup(result.output, path);
        if (typeof v === 'string') vars[name] = v;
      }
    } catch (e) {
      result.calls = e && e.calls;
      result.status = 'error';
      result.error = describeError(e, step);
      result.detail = String(e && e.stack ? e.stack.split('\n')[0] : e);
    }
    emit(result);
  }
}

module.exports = { load, emit, substitute, withDates, propertiesAsObjects, lowerFirst, run };

// Replays SurveyJS semantics with survey-core in Node against a definition stored and served by
// touchpoint: what survey-core shows (visibleIf) and requires (isRequired) is what the server accepts.
// Run by tests/e2e/survey_browser.py:  node survey_semantics_test.mjs --url BASE --token TOKEN
// Prints one JSON summary line: {"ok": true, ...}.
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Model } = require('survey-core');
const { values: args } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } } });
const checks = [];
const check = (condition, what, detail) => {
  checks.push({ ok: Boolean(condition), what });
  console.error(`${condition ? 'ok  ' : 'FAIL'} ${what}${condition ? '' : ` -- ${JSON.stringify(detail)}`}`);
};
const api = `${args.url}/api/v1/respond/${encodeURIComponent(args.token)}`;
const send = async (data, version) => {
  const response = await fetch(api, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data, version })
  });
  return { status: response.status, body: await response.json() };
};

const opened = await (await fetch(api)).json();
const model = new Model(opened.survey.definition);
check(model.getAllQuestions().length > 0, 'survey-core loads the definition touchpoint serves', opened);
const reason = model.getQuestionByName('reason');
model.setValue('recommend', 9);
check(!reason.isVisible, 'a promoter is not asked for the reason (visibleIf)', reason.isVisible);
model.setValue('recommend', 3);
check(reason.isVisible, 'a detractor is asked for the reason', reason.isVisible);

model.clear();
check(!model.validate(false), 'survey-core refuses a survey without the required score');
const missing = await send(model.data, opened.survey.version);
check(missing.status === 400 && missing.body.error.field === 'answers.recommend',
      'so does the server, naming the question', missing);

model.setValue('recommend', 9);
model.setValue('attributes', { speed: 5, staff: 4 });
check(model.validate(false), 'survey-core accepts the answered survey');
const outOfScale = await send({ ...model.data, recommend: 11 }, opened.survey.version);
check(outOfScale.status === 400 && outOfScale.body.error.field === 'answers.recommend',
      'a score survey-core could not produce is refused', outOfScale);
const accepted = await send(model.data, opened.survey.version);
check(accepted.status === 201 && accepted.body.status === 'complete', 'the server accepts what survey-core completed', accepted);

const ok = checks.every((entry) => entry.ok);
console.log(JSON.stringify({ ok, checks: checks.length, response_id: accepted.body.response_id }));
process.exit(ok ? 0 : 1);

// A dossier as the kiosk shows it: the status, what is late or missing, the
// facts, the timeline as steps with dates, where and when to collect.
import { h } from './dom.js';
import { kiosk, t } from './frame.js';

const ZONE = 'Asia/Ho_Chi_Minh';
export function date(value, withTime = false) {
  if (!value) return '';
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) return String(value);
  const options = withTime
    ? { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric' };
  return new Intl.DateTimeFormat(kiosk.lang === 'vi' ? 'vi-VN' : 'en-GB', options).format(parsed);
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(([, value]) => value).map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function newDateOf(overdue) {
  return overdue.new_due_at || null; // due_at there is the date that was missed
}

export function answerView(d) {
  const overdue = d.overdue
    ? h(
        'section',
        { class: 'notice warn', 'aria-labelledby': 'overdue-title' },
        h('h2', { id: 'overdue-title' }, t('overdueTitle')),
        h('p', {}, d.overdue.apology || d.overdue.message || t('overdueApology')),
        d.overdue.reason ? h('p', {}, d.overdue.reason) : null,
        newDateOf(d.overdue) ? facts([[t('newDate'), date(newDateOf(d.overdue))]]) : null,
      )
    : null;
  const supplement = Array.isArray(d.supplement) && d.supplement.length
    ? h(
        'section',
        { class: 'notice', 'aria-labelledby': 'supplement-title' },
        h('h2', { id: 'supplement-title' }, t('supplementTitle')),
        h('ul', {}, d.supplement.map((item) => h('li', {}, typeof item === 'string' ? item : item.name || item.title || JSON.stringify(item)))),
      )
    : null;
  const collect = d.collect
    ? h(
        'section',
        { class: 'notice', 'aria-labelledby': 'collect-title' },
        h('h2', { id: 'collect-title' }, t('collectTitle')),
        facts([[t('where'), d.collect.where], [t('when'), d.collect.when]]),
      )
    : null;
  const steps = (d.timeline || []).map((step, index, all) =>
    h(
      'li',
      { class: index === all.length - 1 ? 'step current' : 'step', 'aria-current': index === all.length - 1 ? 'step' : null },
      h('span', { class: 'step-label' }, step.label || step.status),
      h('span', { class: 'step-date' }, date(step.at, true)),
      step.note ? h('span', { class: 'step-note' }, step.note) : null,
    ),
  );
  return [
    h('p', { class: 'status', id: 'status-label' }, h('span', { class: 'status-term' }, `${t('status')}: `), d.status_label || d.status),
    overdue,
    supplement,
    facts([
      [t('code'), d.code],
      [t('procedure'), d.procedure],
      [t('agency'), d.agency],
      [t('applicant'), d.applicant],
      [t('received'), date(d.received_at)],
      [t('due'), date(d.due_at)],
    ]),
    steps.length ? h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, t('timeline')), h('ol', { class: 'timeline' }, steps)) : null,
    collect,
  ];
}

// incident.js - one incident's page (/i/{id}): what happened and when
// (opened, peak, countries joining and leaving, resolved), the evidence
// the detector acted on, the other services of its group, and the
// official updates posted through the admin API.
import {
  api, el, t, tn, tx, num, start, setTitle, countryName, statusName,
  timeEl, duration, secondsBetween, lang,
} from '/assets/js/core.js';
import { problemBars } from '/assets/js/chart.js';

const id = decodeURIComponent(location.pathname.split('/')[2] || '');

async function load() {
  const body = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
  const inc = body.incident || body;
  const [services, group] = await Promise.all([
    api('/api/v1/services'),
    inc.group ? api(`/api/v1/incidents?group=${encodeURIComponent(inc.group)}&limit=100`) : null,
  ]);
  return {
    inc, now: services.now, timeline: body.timeline || [], updates: body.official_updates || [],
    services: new Map(services.services.map((s) => [s.id, s])),
    related: group ? group.incidents.filter((i) => i.id !== inc.id) : [],
  };
}

const list = (items) => new Intl.ListFormat(lang, { type: 'conjunction' }).format(items);
const nameOf = (d, sid) => (d.services.get(sid) || { name: sid }).name;

// The moments worth telling from the stored states (one a minute).
export function moments(inc, timeline) {
  const out = [];
  const peak = Math.max(inc.peak_per_min || 0, ...timeline.map((s) => (s.incident || {}).peak_per_min || 0));
  let prev = [], peakShown = false;
  for (const step of timeline) {
    const st = step.incident || {};
    const at = step.at || step.updated || st.updated;
    const now = st.countries || [];
    const added = step.countries_added || now.filter((c) => !prev.includes(c));
    const removed = step.countries_removed || prev.filter((c) => !now.includes(c));
    if (step.event === 'opened') {
      out.push({ kind: 'opened', at: st.detected_at || at, start: st.start, countries: now });
    } else {
      if (added.length) out.push({ kind: 'joined', at, countries: added });
      if (removed.length) out.push({ kind: 'left', at, countries: removed });
    }
    if (!peakShown && peak > 0 && (st.peak_per_min || 0) >= peak) {
      out.push({ kind: 'peak', at, n: peak });
      peakShown = true;
    }
    if (step.event === 'resolved') out.push({ kind: 'resolved', at: st.end || at });
    prev = now;
  }
  if (!out.length) out.push({ kind: 'opened', at: inc.detected_at, start: inc.start, countries: inc.countries || [] });
  return out;
}

function momentItem(m, now) {
  const countries = (cs) => list(cs.map(countryName));
  let text;
  switch (m.kind) {
    case 'opened': text = [el('strong', null, t('timeline.opened')), ' ',
      tx('timeline.opened.detail', { start: timeEl(m.start, now), countries: countries(m.countries) })]; break;
    case 'joined': text = [el('strong', null, t('timeline.joined')), ' ', countries(m.countries)]; break;
    case 'left': text = [el('strong', null, t('timeline.left')), ' ', countries(m.countries)]; break;
    case 'peak': text = [el('strong', null, t('timeline.peak')), ' ', tn('timeline.peak.detail', m.n)]; break;
    default: text = [el('strong', null, t('timeline.resolved'))];
  }
  return el('li', { class: 'moment ' + m.kind, 'data-kind': m.kind },
    el('span', { class: 'when' }, timeEl(m.at, now)), el('span', { class: 'what' }, ...text));
}

function render(d, main) {
  const inc = d.inc, now = d.now, name = nameOf(d, inc.service);
  const open = !inc.end;
  setTitle(t('incident.title', { name }));
  const lasted = open ? secondsBetween(inc.start, now) : secondsBetween(inc.start, inc.end);
  const ratio = inc.expected > 0 ? inc.observed / inc.expected : null;
  const shares = problemBars(inc.problems);
  const updates = [...d.updates].sort((a, b) => (a.at < b.at ? 1 : -1));
  const steps = moments(inc, d.timeline);

  main.replaceChildren(
    el('nav', { class: 'crumbs', 'aria-label': t('nav.crumbs') },
      el('a', { href: '/' }, t('nav.home')), ' › ',
      el('a', { href: '/s/' + encodeURIComponent(inc.service) }, name), ' › ', t('incident.crumb')),
    el('header', { class: 'page-head' }, el('h1', null, t('incident.title', { name }))),
    el('section', { class: 'banner ' + (open ? 'outage' : 'resolved'), role: 'status', id: 'banner' },
      el('span', { class: 'banner-icon', 'aria-hidden': 'true' }, open ? '!' : '✓'),
      el('div', null,
        el('h2', null, open ? t('incident.open') : t('incident.resolved')),
        el('p', null, open
          ? tx('incident.open.detail', { time: timeEl(inc.start, now), duration: duration(lasted) })
          : tx('incident.resolved.detail', { from: timeEl(inc.start, now), to: timeEl(inc.end, now), duration: duration(lasted) })),
        el('p', { class: 'updated' }, tx('page.updated', { time: timeEl(now, now) })))),
    el('div', { class: 'page-grid' }, el('div', { class: 'col-main' },
      el('section', { class: 'card updates', 'aria-labelledby': 'updates-h', id: 'updates' },
        el('h2', { id: 'updates-h' }, t('updates.heading')),
        updates.length ? el('ol', { class: 'update-list' }, updates.map((u) => el('li', { class: 'update', 'data-id': u.id },
          el('p', { class: 'update-meta' }, timeEl(u.at, now),
            u.status ? el('span', { class: 'tag' }, t('updates.status.' + u.status, null, u.status)) : null),
          el('p', { class: 'update-text' }, u.text))))
          : el('p', { class: 'muted' }, t('updates.none'))),
      el('section', { class: 'card timeline', 'aria-labelledby': 'timeline-h', id: 'timeline' },
        el('h2', { id: 'timeline-h' }, t('timeline.heading')),
        el('ol', { class: 'moments' }, steps.map((m) => momentItem(m, now)))),
      related(d, now)),
      el('div', { class: 'col-side' },
      el('section', { class: 'card evidence', 'aria-labelledby': 'evidence-h', id: 'evidence' },
        el('h2', { id: 'evidence-h' }, t('evidence.heading')),
        el('dl', { class: 'facts' },
          el('dt', null, t('evidence.observed')),
          el('dd', null, tx('evidence.observed.detail', {
            observed: el('strong', null, num(inc.observed || 0)), expected: num(inc.expected || 0, 1),
            minutes: num(inc.window_minutes || 0) })),
          ratio ? el('dt', null, t('evidence.ratio')) : null,
          ratio ? el('dd', null, el('strong', null, t('evidence.ratio.detail', { x: num(ratio, ratio < 10 ? 1 : 0) }))) : null,
          el('dt', null, t('evidence.clients')), el('dd', null, num(inc.clients || 0)),
          el('dt', null, t('evidence.peak')), el('dd', null, tn('timeline.peak.detail', inc.peak_per_min || 0)),
          el('dt', null, t('evidence.detected')),
          el('dd', null, tx('evidence.detected.detail', { time: timeEl(inc.detected_at, now),
            delay: duration(secondsBetween(inc.start, inc.detected_at)) })),
          el('dt', null, t('evidence.score')),
          el('dd', null, tx('evidence.score.detail', { power: el('sup', null, new Intl.NumberFormat(lang, { useGrouping: false }).format(Math.round(inc.score || 0))) })),
          el('dt', null, t('evidence.countries')), el('dd', null, list((inc.countries || []).map(countryName)) || '–'))),
      shares ? el('section', { class: 'card', 'aria-labelledby': 'inc-problems-h', id: 'problems' },
        el('h2', { id: 'inc-problems-h' }, t('problems.heading')), shares) : null)));
}

function related(d, now) {
  return el('section', { class: 'card related', 'aria-labelledby': 'related-h', id: 'related' },
    el('h2', { id: 'related-h' }, t('related.heading')),
    d.related.length ? el('ul', { class: 'related-list' }, d.related.map((r) => el('li', null,
      el('a', { href: '/i/' + encodeURIComponent(r.id) }, nameOf(d, r.service)), ' ',
      el('span', { class: 'pill ' + (r.end ? 'ok' : 'outage') }, r.end ? t('incident.resolved') : statusName('outage')),
      el('span', { class: 'muted' }, ' · ', r.end
        ? [timeEl(r.start, now), ' · ', duration(secondsBetween(r.start, r.end))]
        : tx('incidents.since', { time: timeEl(r.start, now) })))))
      : el('p', { class: 'muted' }, t('related.none')));
}

start(load, render);

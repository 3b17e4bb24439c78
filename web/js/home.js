// home.js - the home page: open incident groups as one event each, the
// services furthest above normal, and every service with its status and a
// sparkline of its last 24 h, the ones in trouble first, searchable.
import { api, el, t, tn, tx, categoryName, num, start, setTitle, statusName, timeEl, duration, secondsBetween } from '/assets/js/core.js';
import { sparkline } from '/assets/js/chart.js';

const RANK = { outage: 0, degraded: 1, ok: 2 };
const TRENDING = 1.5; // times the normal level, to be named on the trending strip

async function load() {
  const [list, groups] = await Promise.all([api('/api/v1/services'), api('/api/v1/groups?open=1')]);
  return { now: list.now, services: list.services, groups: groups.groups || [] };
}

const pill = (status) => el('span', { class: 'pill ' + status }, statusName(status));

// Open incidents, one event per group (a group of one is a lone outage).
function events(data) {
  const byId = new Map(data.services.map((s) => [s.id, s]));
  const seen = new Set();
  const out = [];
  for (const g of data.groups) {
    const members = (g.services || []).map((id) => byId.get(id)).filter(Boolean);
    if (!members.length) continue;
    members.forEach((s) => seen.add(s.id));
    out.push({ id: g.id, start: g.start, members, incident: (g.incidents || [])[0] || g.id });
  }
  for (const s of data.services) {
    if (s.incident && !seen.has(s.id)) out.push({ id: s.incident, start: null, members: [s], incident: s.incident });
  }
  return out;
}

function eventCard(ev, now) {
  const members = ev.members;
  const owners = new Set(members.map((s) => s.owner));
  const worst = members.some((s) => s.status === 'outage') ? 'outage' : 'degraded';
  const names = members.map((s) => s.name).join(', ');
  const title = members.length > 1
    ? (owners.size === 1 ? t('home.group.owner', { owner: members[0].owner, names }) : t('home.group.related', { names }))
    : t('home.group.one', { name: members[0].name });
  return el('li', { class: 'event ' + worst },
    el('div', { class: 'event-head' },
      pill(worst),
      el('h3', null, el('a', { href: '/i/' + encodeURIComponent(ev.incident) }, title))),
    ev.start ? el('p', { class: 'muted' }, tx('home.group.since', { time: timeEl(ev.start, now) }),
      ' · ', duration(secondsBetween(ev.start, now))) : null,
    el('ul', { class: 'chips' }, members.map((s) =>
      el('li', null, el('a', { href: '/s/' + encodeURIComponent(s.id), class: 'chip ' + s.status }, s.name)))));
}

function trending(services) {
  const top = services.filter((s) => s.above_normal !== null && s.above_normal !== undefined && s.above_normal >= TRENDING)
    .sort((a, b) => b.above_normal - a.above_normal).slice(0, 6);
  if (!top.length) return null;
  return el('section', { class: 'trending', 'aria-labelledby': 'trending-h' },
    el('h2', { id: 'trending-h' }, t('home.trending')),
    el('ol', { class: 'cards' }, top.map((s) => el('li', { class: 'card trend ' + s.status },
      el('a', { href: '/s/' + encodeURIComponent(s.id), class: 'stretch' }, s.name),
      el('span', { class: 'ratio' }, t('home.ratio', { x: num(s.above_normal, s.above_normal < 10 ? 1 : 0) })),
      sparkline(s.sparkline || [], s.status)))));
}

function serviceRow(s) {
  return el('li', { class: 'service ' + s.status, 'data-service': s.id, 'data-status': s.status },
    el('a', { href: '/s/' + encodeURIComponent(s.id), class: 'name' }, s.name),
    pill(s.status),
    el('span', { class: 'category muted' }, categoryName(s.category)),
    sparkline(s.sparkline || [], s.status),
    el('span', { class: 'count' }, tn('home.reports', s.reports_24h || 0)));
}

function sorted(services) {
  return [...services].sort((a, b) =>
    (RANK[a.status] ?? 3) - (RANK[b.status] ?? 3) ||
    (a.status !== 'ok' ? (b.above_normal || 0) - (a.above_normal || 0) : 0) ||
    a.name.localeCompare(b.name));
}

let query = '';
function filter(list) {
  const q = query.trim().toLowerCase();
  let shown = 0;
  for (const row of list.children) {
    const hit = !q || row.dataset.search.includes(q);
    row.hidden = !hit;
    shown += hit;
  }
  const none = document.getElementById('no-match');
  none.hidden = shown > 0;
}

function render(data, main) {
  setTitle(t('home.title'));
  const evs = events(data);
  const troubled = data.services.filter((s) => s.status !== 'ok').length;
  const rows = sorted(data.services).map((s) => {
    const row = serviceRow(s);
    row.dataset.search = [s.name, s.id, s.owner, s.category].join(' ').toLowerCase();
    return row;
  });
  const list = el('ol', { class: 'services', id: 'services' }, rows);
  const search = document.getElementById('search');
  const fresh = !search;
  const summary = el('p', { class: 'summary ' + (troubled ? 'trouble' : 'ok') },
    troubled ? tn('home.summary.trouble', troubled) : t('home.summary.ok'),
    ' ', el('span', { class: 'muted' }, tx('home.updated', { time: timeEl(data.now, data.now) })));
  const parts = [
    el('section', { class: 'hero' },
      el('h1', null, t('home.heading')),
      summary,
      el('div', { class: 'search' },
        el('label', { for: 'search' }, t('home.search.label')),
        el('input', { id: 'search', type: 'search', autocomplete: 'off', placeholder: t('home.search.placeholder'),
          'aria-controls': 'services', value: query,
          oninput: (e) => { query = e.target.value; filter(list); } }))),
    evs.length ? el('section', { class: 'events', 'aria-labelledby': 'events-h' },
      el('h2', { id: 'events-h' }, t('home.events')),
      el('ul', { class: 'event-list' }, evs.map((ev) => eventCard(ev, data.now)))) : null,
    trending(data.services),
    el('section', { class: 'all', 'aria-labelledby': 'all-h' },
      el('h2', { id: 'all-h' }, t('home.all'), ' ', el('span', { class: 'muted' }, num(data.services.length))),
      list,
      el('p', { id: 'no-match', class: 'muted', hidden: true }, t('home.search.none'))),
  ];
  const focused = document.activeElement && document.activeElement.id === 'search';
  main.replaceChildren(...parts.filter(Boolean));
  filter(list);
  if (focused && !fresh) document.getElementById('search').focus();
}

start(load, render);

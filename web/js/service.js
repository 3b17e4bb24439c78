// service.js - one service's page (/s/{id}): status banner, the 24-hour
// chart against the normal band, the report button, most reported
// problems, the countries hit (map and table), the open and past
// incidents. Everything comes from the JSON API; after a report is sent
// the page reads it again, so the count shown is the server's.
import {
  api, el, t, tn, tx, num, start, setTitle, statusName, categoryName, problemName, countryName, countryCodes,
  timeEl, duration, secondsBetween, randomHex, lang,
} from '/assets/js/core.js';
import { reportsChart, chartLegend, problemBars, counted } from '/assets/js/chart.js';
import { worldMap, mapLegend } from '/assets/js/map.js';

const id = decodeURIComponent(location.pathname.split('/')[2] || '');
const enc = encodeURIComponent(id);

async function load() {
  const [svc, series, incidents] = await Promise.all([
    api(`/api/v1/services/${enc}`),
    api(`/api/v1/services/${enc}/series?step=15m`),
    api(`/api/v1/incidents?service=${enc}&limit=10`),
  ]);
  return { svc, series, incidents: incidents.incidents || [] };
}

// ---- sections -------------------------------------------------------

function listOf(items, max) {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  if (more > 0) return t('list.more', { list: shown.join(', '), n: num(more) });
  return new Intl.ListFormat(lang, { type: 'conjunction' }).format(shown);
}

function topProblems(shares, n) {
  return Object.entries(shares || {}).sort((a, b) => b[1] - a[1]).slice(0, n).map(([p]) => problemName(p));
}

function banner(d) {
  const s = d.svc, name = s.service.name, inc = s.incident, now = s.now;
  const status = s.status || 'ok';
  const head = el('h2', null, t(`banner.${status}`, { name }));
  const lines = [];
  if (inc) {
    lines.push(el('p', null, tx('banner.since', { time: timeEl(inc.start, now), duration: duration(secondsBetween(inc.start, now)) })));
    if (inc.countries && inc.countries.length) {
      lines.push(el('p', null, t('banner.where', { countries: listOf(inc.countries.map(countryName), 3) })));
    }
    const probs = topProblems(inc.problems, 2);
    if (probs.length) lines.push(el('p', null, t('banner.problems', { problems: listOf(probs, 2) })));
    lines.push(el('p', null, el('a', { href: '/i/' + encodeURIComponent(inc.id), class: 'banner-link' }, t('banner.incident'))));
  } else {
    lines.push(el('p', null, t('banner.ok.detail', { name })));
  }
  return el('section', { class: 'banner ' + status, role: 'status', id: 'banner', 'data-status': status },
    el('span', { class: 'banner-icon', 'aria-hidden': 'true' }, status === 'ok' ? '✓' : '!'),
    el('div', null, head, ...lines,
      el('p', { class: 'updated' }, tx('page.updated', { time: timeEl(now, now) }))));
}

function chartCard(d) {
  const pts = d.series.points || [];
  const count = d.svc.service.reports_24h || 0;
  const last = pts.length ? pts[pts.length - 1] : { t: '' };
  let peak = null;
  for (const p of pts) if (!peak || counted(p) > counted(peak)) peak = p;
  const upper = Math.max(0, ...pts.map((p) => p.upper || 0));
  const fig = el('div', { class: 'chart-box', id: 'chart-box' });
  const card = el('section', { class: 'card chart-card', 'aria-labelledby': 'chart-h', id: 'chart-card' },
    el('div', { class: 'card-head' },
      el('h2', { id: 'chart-h' }, t('chart.heading')),
      el('p', { class: 'big', id: 'count', 'data-count': count },
        el('strong', null, num(count)), ' ', tn('chart.reports', count))),
    el('p', { class: 'muted', id: 'recent', 'data-count': counted(last), 'data-t': last.t },
      t('chart.last', { n: num(counted(last)) })),
    el('figure', null, fig,
      el('figcaption', { id: 'chart-summary' }, peak && counted(peak)
        ? tx('chart.summary', { n: num(counted(peak)), time: timeEl(peak.t, d.svc.now), upper: num(upper) })
        : t('chart.empty')),
      chartLegend()));
  card.points = pts;
  return card;
}

function drawChart(card) {
  const box = card.querySelector('#chart-box');
  box.replaceChildren(reportsChart(card.points, lastStep, box.clientWidth || 600));
}
let lastStep = 900;

function problemsCard(d) {
  return el('section', { class: 'card problems', 'aria-labelledby': 'problems-h', id: 'problems' },
    el('h2', { id: 'problems-h' }, t('problems.heading')),
    problemBars(d.svc.problems) || el('p', { class: 'muted' }, t('problems.none')));
}

function countriesCard(d) {
  const rows = (d.svc.countries || []).filter((c) => c.reports > 0).slice(0, 10);
  const mapBox = el('div', { class: 'map-box', id: 'map-box' });
  const table = rows.length ? el('table', { class: 'countries', id: 'countries' },
    el('caption', { class: 'visually-hidden' }, t('countries.caption')),
    el('thead', null, el('tr', null,
      el('th', { scope: 'col' }, t('countries.country')),
      el('th', { scope: 'col', class: 'num' }, t('countries.reports')),
      el('th', { scope: 'col', class: 'num opt' }, t('countries.expected')),
      el('th', { scope: 'col', class: 'num' }, t('countries.excess')))),
    el('tbody', null, rows.map((c) => el('tr', { 'data-cc': c.country, class: c.anomalous ? 'anomalous' : null },
      el('th', { scope: 'row' },
        c.anomalous ? el('span', { class: 'dot', title: t('countries.anomalous') },
          el('span', { class: 'visually-hidden' }, t('countries.anomalous'))) : null,
        countryName(c.country)),
      el('td', { class: 'num' }, num(c.reports)),
      el('td', { class: 'num opt' }, num(c.expected || 0, (c.expected || 0) < 10 ? 1 : 0)),
      el('td', { class: 'num' }, c.excess > 0 ? '+' + num(c.excess) : '–'))))) :
    el('p', { class: 'muted' }, t('countries.none'));
  const card = el('section', { class: 'card countries-card', 'aria-labelledby': 'countries-h', id: 'countries-card' },
    el('div', { class: 'card-head' },
      el('h2', { id: 'countries-h' }, t('countries.heading')),
      // The API counts countries over the open incident, else the last hour.
      el('p', { class: 'muted' }, t(d.svc.incident ? 'countries.scope.incident' : 'countries.scope.hour'))),
    el('div', { class: 'countries-grid' }, el('div', null, mapBox, mapLegend()), el('div', { class: 'table-wrap' }, table)));
  worldMap(d.svc.countries || [], t('countries.map')).then((map) => mapBox.replaceChildren(map));
  return card;
}

function incidentItem(inc, now) {
  return el('li', { class: 'incident-item' + (inc.end ? '' : ' open') },
    el('a', { href: '/i/' + encodeURIComponent(inc.id) },
      inc.end ? timeEl(inc.start, null) : t('incidents.ongoing')),
    el('span', { class: 'muted' }, ' · ', inc.end ? duration(secondsBetween(inc.start, inc.end))
      : tx('incidents.since', { time: timeEl(inc.start, now) })),
    inc.countries && inc.countries.length ? el('span', { class: 'muted' }, ' · ', listOf(inc.countries.map(countryName), 3)) : null);
}

function incidentsCard(d) {
  const list = d.incidents;
  return el('section', { class: 'card incidents', 'aria-labelledby': 'incidents-h', id: 'incidents' },
    el('h2', { id: 'incidents-h' }, t('incidents.heading')),
    list.length ? el('ul', { class: 'incident-list' }, list.map((i) => incidentItem(i, d.svc.now)))
      : el('p', { class: 'muted' }, t('incidents.none')));
}

// ---- the report button ----------------------------------------------

function clientId() {
  try {
    let c = localStorage.getItem('dw.client');
    if (!c || !/^[0-9a-f]{16}$/.test(c)) {
      c = randomHex(8);
      localStorage.setItem('dw.client', c);
    }
    return c;
  } catch (e) {
    return randomHex(8);
  }
}

function reportCard(d, refresh) {
  const s = d.svc.service;
  const problems = s.problems && s.problems.length ? s.problems : ['other'];
  const status = el('p', { class: 'report-status', id: 'report-status', role: 'status', 'aria-live': 'polite' });
  const select = el('select', { id: 'report-country', name: 'country' },
    el('option', { value: '' }, t('report.country.auto')),
    countryOptions());
  const button = el('button', { type: 'submit', class: 'report-button', id: 'report-button' }, t('report.button'));
  const form = el('form', { class: 'report-form', id: 'report-form', novalidate: true },
    el('fieldset', null,
      el('legend', null, t('report.what')),
      el('div', { class: 'choices' }, problems.map((p, i) => el('label', { class: 'choice' },
        el('input', { type: 'radio', name: 'problem', value: p, required: true, checked: i === 0 }),
        el('span', null, problemName(p)))))),
    el('div', { class: 'field' }, el('label', { for: 'report-country' }, t('report.country')), select),
    button, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problem = form.querySelector('input[name=problem]:checked');
    if (!problem) return;
    const body = { service: s.id, problem: problem.value, client: clientId() };
    if (select.value) body.country = select.value;
    button.disabled = true;
    status.className = 'report-status';
    status.textContent = t('report.sending');
    try {
      const answer = await api('/api/v1/reports', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
      });
      await refresh();
      const n = num(Number(document.getElementById('recent').dataset.count));
      status.className = 'report-status done';
      status.textContent = answer && answer.counted === 0 ? t('report.again', { n }) : t('report.thanks', { n });
    } catch (err) {
      status.className = 'report-status error';
      status.textContent = err.status === 429 ? t('report.toomany') : t('report.failed');
    } finally {
      button.disabled = false;
    }
  });
  return el('section', { class: 'card report', 'aria-labelledby': 'report-h', id: 'report' },
    el('h2', { id: 'report-h' }, t('report.heading', { name: s.name })), form);
}

// Every country, by its name in the page's language.
function countryOptions() {
  return countryCodes().map((cc) => el('option', { value: cc }, countryName(cc)))
    .sort((a, b) => a.textContent.localeCompare(b.textContent, lang));
}

// ---- the page -------------------------------------------------------

let built = false;
function render(d, main) {
  const s = d.svc.service;
  lastStep = d.series.step || 900;
  setTitle(s.name, statusName(d.svc.status || 'ok'));
  const sections = {
    banner: banner(d), chart: chartCard(d), problems: problemsCard(d),
    countries: countriesCard(d), incidents: incidentsCard(d),
  };
  if (!built) {
    built = true;
    main.replaceChildren(
      el('nav', { class: 'crumbs', 'aria-label': t('nav.crumbs') }, el('a', { href: '/' }, t('nav.home')), ' › ', s.name),
      el('header', { class: 'page-head' },
        el('h1', null, s.name),
        el('p', { class: 'muted' }, [s.owner, categoryName(s.category)].filter(Boolean).join(' · '))),
      el('div', { class: 'page-grid' },
        sections.banner,
        el('div', { class: 'col-main' }, sections.chart, sections.incidents),
        el('div', { class: 'col-side' }, reportCard(d, refreshNow), sections.problems),
        sections.countries));
    window.addEventListener('resize', debounce(() => drawChart(document.getElementById('chart-card')), 150));
  } else {
    for (const [key, node] of Object.entries(sections)) {
      const old = document.getElementById({ banner: 'banner', chart: 'chart-card', problems: 'problems', countries: 'countries-card', incidents: 'incidents' }[key]);
      old.replaceWith(node);
    }
  }
  drawChart(sections.chart);
}

async function refreshNow() {
  render(await load(), document.getElementById('main'));
}

function debounce(fn, ms) {
  let timer;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

start(load, render);

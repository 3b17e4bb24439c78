// map.js - the world map of the service page: the build's SVG (one path
// per country, data-cc = ISO alpha-2), shaded in five steps by each
// country's excess reports (log scale: an outage's top country is ~100×
// the tenth), each country named on hover. Only the countries of an open
// incident get the darker steps: on a calm day the map stays pale.
import { svg, el, t, num, countryName } from '/assets/js/core.js';

const MAP_URL = '/assets/map/world.svg';
let cached = null;

async function load() {
  if (!cached) {
    cached = fetch(MAP_URL).then((r) => r.text()).then((text) =>
      new DOMParser().parseFromString(text, 'image/svg+xml').documentElement);
  }
  return (await cached).cloneNode(true);
}

export const LEVELS = 5;
const SCALE_FLOOR = 100;  // excess reports that the darkest step stands for, at least
const CALM_LEVEL = 2;     // the darkest step of a country not in an incident

/** The level (0 = none, 1..5) of an excess against the largest one. */
export function level(excess, max, anomalous) {
  if (!(excess > 0)) return 0;
  const top = Math.max(max, SCALE_FLOOR);
  const lv = Math.max(1, Math.min(LEVELS, Math.ceil((LEVELS * Math.log1p(excess)) / Math.log1p(top))));
  return anomalous ? lv : Math.min(lv, CALM_LEVEL);
}

/** The shaded map for the API's countries [{country, reports, excess…}]. */
export async function worldMap(countries, caption) {
  const map = await load();
  map.setAttribute('role', 'img');
  map.setAttribute('aria-label', caption);
  const max = Math.max(0, ...countries.map((c) => c.excess || 0));
  const byCode = new Map(countries.map((c) => [c.country, c]));
  for (const path of map.querySelectorAll('path[data-cc]')) {
    const cc = path.getAttribute('data-cc');
    const c = byCode.get(cc);
    const lv = c ? level(c.excess, max, c.anomalous) : 0;
    if (lv) path.setAttribute('class', 'l' + lv);
    path.append(svg('title', null, c
      ? t('map.country', { country: countryName(cc), n: num(c.reports), excess: num(Math.max(0, c.excess || 0)) })
      : countryName(cc)));
  }
  return map;
}

export function mapLegend() {
  const steps = [];
  for (let i = 0; i <= LEVELS; i++) steps.push(el('span', { class: 'swatch' + (i ? ' l' + i : ''), 'aria-hidden': 'true' }));
  return el('div', { class: 'map-legend' }, el('span', null, t('map.fewer')), ...steps, el('span', null, t('map.more')));
}

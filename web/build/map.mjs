// map.mjs - the world map of the service page, made at build time from
// Natural Earth's 1:110m countries (npm `world-atlas`, TopoJSON), projected
// with d3-geo (Natural Earth projection) into one compact SVG: one <path>
// per country, carrying its ISO 3166-1 alpha-2 code (world-atlas ids are
// ISO numeric; `i18n-iso-countries` maps them), coordinates rounded to a
// tenth of a unit and written relative, so the whole map stays small.
// Antarctica is left out: nobody reports from there and it takes a band of
// the picture.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { feature } from 'topojson-client';
import { geoNaturalEarth1, geoPath } from 'd3-geo';

const require = createRequire(import.meta.url);
const countries = require('i18n-iso-countries');

export const WIDTH = 1000;
const ANTARCTICA = '010';

// A d3 path context that keeps points, rounded to `scale` (0.1 = one decimal).
class Compact {
  constructor(step) {
    this.step = step;
    this.out = [];
    this.ring = null;
  }
  q(v) { return Math.round(v / this.step); }
  moveTo(x, y) { this.flush(); this.ring = [[this.q(x), this.q(y)]]; }
  lineTo(x, y) {
    const p = [this.q(x), this.q(y)], last = this.ring[this.ring.length - 1];
    if (p[0] !== last[0] || p[1] !== last[1]) this.ring.push(p);
  }
  closePath() { this.flush(); }
  arc() {}
  flush() {
    const r = this.ring;
    this.ring = null;
    if (!r || r.length < 3) return; // a sliver rounded away
    let s = 'M' + this.num(r[0][0]) + ' ' + this.num(r[0][1]);
    for (let i = 1; i < r.length; i++) {
      const dx = r[i][0] - r[i - 1][0], dy = r[i][1] - r[i - 1][1];
      s += 'l' + this.num(dx) + (dy < 0 ? '' : ' ') + this.num(dy);
    }
    this.out.push(s + 'z');
  }
  // Units of `step` back to SVG numbers, shortest form: 0.5 → ".5".
  num(n) {
    let s = String(Math.round(n * this.step * 10) / 10);
    return s.replace(/^(-?)0\./, '$1.');
  }
  result() { this.flush(); return this.out.join(''); }
}

export function buildMap(step = 0.5) {
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'));
  const land = feature(topo, topo.objects.countries).features.filter((f) => f.id !== ANTARCTICA);
  const projection = geoNaturalEarth1().fitWidth(WIDTH, { type: 'FeatureCollection', features: land });
  const bounds = geoPath(projection).bounds({ type: 'FeatureCollection', features: land });
  const height = Math.ceil(bounds[1][1]) + 1;
  const paths = [];
  for (const f of land) {
    const ctx = new Compact(step);
    geoPath(projection, ctx)(f);
    const d = ctx.result();
    if (!d) continue;
    const cc = f.id ? countries.numericToAlpha2(f.id) : undefined;
    // Territories without an ISO code (Kosovo, Northern Cyprus, Somaliland)
    // are drawn as plain land.
    paths.push(cc ? `<path data-cc="${cc}" d="${d}"/>` : `<path d="${d}"/>`);
  }
  paths.sort(); // stable output for stable hashes
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" class="world">` +
    paths.join('') + '</svg>\n';
}

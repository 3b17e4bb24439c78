// core.js - what every page shares: reading the JSON API, the message
// catalog of the chosen language, numbers and times in the viewer's
// locale and time zone, and building DOM without innerHTML (data from the
// API is always text, never markup).
import { LANGS } from '/assets/js/langs.js';

const SVGNS = 'http://www.w3.org/2000/svg';
let messages = {};
export let lang = 'en';
let locale = 'en';

// ---- DOM ------------------------------------------------------------

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** el('a', {href: '/', class: 'x'}, 'text', child…) */
export const el = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
export const svg = (tag, attrs, ...children) => build(document.createElementNS(SVGNS, tag), attrs, children);

// ---- messages -------------------------------------------------------

/** The message `key` with {name} placeholders filled from vars (fallback,
 * or the key itself, when the catalog has no such message). */
export function t(key, vars, fallback) {
  let s = messages[key];
  if (s === undefined) s = fallback !== undefined ? fallback : key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? vars[k] : m)) : s;
}

/** The message `key` as a list of text and nodes: {name} placeholders
 * may be filled with elements (a <time>, a link), in the language's order. */
export function tx(key, vars) {
  const s = messages[key] === undefined ? key : messages[key];
  return s.split(/(\{\w+\})/).filter((p) => p !== '').map((p) => {
    const m = /^\{(\w+)\}$/.exec(p);
    return m && vars[m[1]] !== undefined ? vars[m[1]] : p;
  });
}

/** The message for a count: key.one or key.other by the language's plural rules. */
export function tn(key, n, vars) {
  const form = new Intl.PluralRules(locale).select(n);
  const k = messages[`${key}.${form}`] !== undefined ? `${key}.${form}` : `${key}.other`;
  return t(k, { n: num(n), ...vars });
}

export function countryName(cc) {
  if (!cc || cc === 'ZZ') return t('country.unknown');
  return (messages.country && messages.country[cc]) || cc;
}

/** Every country code the catalog names. */
export const countryCodes = () => Object.keys(messages.country || {});

export const problemName = (p) => t('problem.' + p);
export const statusName = (s) => t('status.' + s);
/** A catalog category in the page's language (as it is when unknown). */
export const categoryName = (c) => t('category.' + c, null, c);

// Language: ?lang= (remembered), then the remembered choice, then the
// browser's languages (what it sends as Accept-Language), then English.
function pickLang() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked && LANGS[asked]) {
    try { localStorage.setItem('lang', asked); } catch (e) { /* private mode */ }
    return asked;
  }
  let saved = null;
  try { saved = localStorage.getItem('lang'); } catch (e) { /* private mode */ }
  if (saved && LANGS[saved]) return saved;
  for (const l of navigator.languages || [navigator.language]) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGS[base]) return base;
  }
  return 'en';
}

// ---- numbers and times ----------------------------------------------

export const num = (n, digits = 0) =>
  new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(n);
export const pct = (share) =>
  new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(share);

const fmtCache = new Map();
function dtf(opts) {
  const key = JSON.stringify(opts);
  if (!fmtCache.has(key)) fmtCache.set(key, new Intl.DateTimeFormat(locale, { hourCycle: 'h23', ...opts }));
  return fmtCache.get(key);
}
const HM = { hour: '2-digit', minute: '2-digit' };

/** "22:00 IST" (with zone) or "22:00". */
export const clock = (iso, zone = true) =>
  dtf(zone ? { ...HM, timeZoneName: 'short' } : HM).format(new Date(iso));
/** "3 Apr, 22:00 IST". */
export const dateTime = (iso) =>
  dtf({ day: 'numeric', month: 'short', ...HM, timeZoneName: 'short' }).format(new Date(iso));
/** "3 Apr 2024". */
export const date = (iso) => dtf({ day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso));
const sameDay = (a, b) => date(a) === date(b);

/** A time as the viewer reads it, the same day as `now` without the date,
 * and UTC on hover. */
export function timeEl(iso, now) {
  const text = now && sameDay(iso, now) ? clock(iso) : dateTime(iso);
  return el('time', { datetime: iso, title: utc(iso) }, text);
}
export const utc = (iso) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

/** "1 h 12 min", "7 min". */
export function duration(seconds) {
  const m = Math.max(0, Math.round(seconds / 60));
  if (m < 60) return t('duration.m', { m: num(m) });
  return t('duration.hm', { h: num(Math.floor(m / 60)), m: num(m % 60) });
}
export const secondsBetween = (a, b) => (new Date(b) - new Date(a)) / 1000;

// ---- the API --------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, init) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, ...init });
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

// ---- the page -------------------------------------------------------

function chrome() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  const select = document.getElementById('lang');
  if (select) {
    select.replaceChildren(...Object.entries(LANGS).map(([code, l]) =>
      el('option', { value: code, lang: code, selected: code === lang }, l.name)));
    select.addEventListener('change', () => {
      try { localStorage.setItem('lang', select.value); } catch (e) { /* private mode */ }
      const url = new URL(location.href);
      url.searchParams.delete('lang');
      location.replace(url);
    });
  }
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const note = document.getElementById('tz-note');
  if (note) note.textContent = t('footer.timezone', { zone: tz });
}

export function setTitle(...parts) {
  document.title = [...parts, 'downwatch'].filter(Boolean).join(' · ');
}

/** A notice in place of the page's content (errors, not found). */
export function notice(main, title, detail) {
  main.replaceChildren(el('section', { class: 'card notice', role: 'alert' },
    el('h1', null, title), detail ? el('p', null, detail) : null));
}

/**
 * Start a page: load(…) fetches the page's data while the catalog loads;
 * render(data, main) draws it. Every `refresh` ms, load and render again
 * (render is given the previous data's DOM to update in place).
 */
export async function start(load, render, refresh = 60000) {
  lang = pickLang();
  const nav = (navigator.languages || [navigator.language]).find((l) => String(l).toLowerCase().split('-')[0] === lang);
  locale = nav || lang;
  const catalog = fetch(LANGS[lang].url).then((r) => r.json());
  const first = load().catch((e) => e);
  messages = await catalog;
  chrome();
  const main = document.getElementById('main');
  const show = async (data) => {
    if (data instanceof Error) {
      if (data.status === 404) notice(main, t('error.notfound'), t('error.notfound.detail'));
      else notice(main, t('error.load'), t('error.load.detail'));
      console.error(data);
      return false;
    }
    render(data, main);
    main.setAttribute('aria-busy', 'false');
    return true;
  };
  if (await show(await first) && refresh) {
    setInterval(async () => {
      const data = await load().catch((e) => e);
      if (!(data instanceof Error)) render(data, main);
    }, refresh);
  }
}

/** Hex of n random bytes (crypto). */
export function randomHex(n) {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

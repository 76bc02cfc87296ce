// ECG review viewer: Canvas 2D on the standard ECG grid, signal windows fetched on demand,
// beat markers, events, and review edits through the API. Served by ecg-server; no build
// step. Reviewer page: /viewer/tasks/{id} (viewer token or API key, kept in sessionStorage);
// read-only page: /share/{token}.

const $ = (id) => document.getElementById(id);
const CSS_PX_PER_MM = 96 / 25.4;
const CLASS_COLORS = { N: '#333', S: '#1565c0', V: '#c62828', F: '#ef6c00', Q: '#6a1b9a' };
const EPISODE_COLORS = {
  atrial_fibrillation: 'rgba(255,152,0,0.18)', atrial_flutter: 'rgba(255,193,7,0.18)',
  noise: 'rgba(120,120,120,0.18)', pause: 'rgba(211,47,47,0.15)',
};
const SPEEDS = [1, 2.5, 5, 10, 25, 50, 100];
const LIMB_DERIVED = ['III', 'aVR', 'aVL', 'aVF'];
const LAYOUTS = {
  '3x4+1': { cols: [['I', 'II', 'III'], ['aVR', 'aVL', 'aVF'], ['V1', 'V2', 'V3'], ['V4', 'V5', 'V6']], rhythm: true },
  '6x2': { cols: [['I', 'II', 'III', 'aVR', 'aVL', 'aVF'], ['V1', 'V2', 'V3', 'V4', 'V5', 'V6']] },
  '12x1': { cols: [['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']] },
};
const GUTTER_MM = 14; // lead label + calibration pulse
const EVENT_PAGE = 500; // events per page of a long (paged) event list
const BEAT_BAND_MM = 6; // beat labels above the traces

const S = {
  mode: 'review', taskId: null, shareToken: null, auth: null,
  ov: null, record: 0, duration: 0, fs: 250, signals: [], leads: [],
  speed: 25, gain: 10, zoom: 1, layout: '3x4+1', resting: false,
  rhythm: 'II', rhythmDrawn: null, // the resting layout's rhythm strip lead (a lead of the record)
  t0: 0, cursor: null, selected: null, eventIdx: -1, selectedTemplate: null,
  events: [], evp: null, maxEpisodes: null, eventPage: EVENT_PAGE,
  win: null, winKey: '', fetching: null, fetchSeq: 0,
  beats: null, beatsSeq: 0,
  episodeEdit: null,
  firstRenderMs: null, renders: 0, dirty: true,
  timing: {}, // ms since navigation start of the opening steps (measured by the benchmark)
};
window.ecgViewer = S;

// ---------------------------------------------------------------- API
function apiBase() {
  return S.mode === 'share'
    ? `/api/v1/shared/${encodeURIComponent(S.shareToken)}`
    : `/api/v1/tasks/${encodeURIComponent(S.taskId)}`;
}

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (S.mode === 'review' && S.auth) headers.Authorization = `Bearer ${S.auth}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(apiBase() + path, {
    method: opts.method || 'GET', headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (!res.ok) {
    let detail = `${res.status}`;
    try { const p = await res.json(); detail = p.detail || p.title || detail; } catch (_) { /* not JSON */ }
    const err = new Error(detail);
    err.status = res.status;
    throw err;
  }
  return opts.raw ? res : res.json();
}

function message(text, error = false) {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

// ---------------------------------------------------------------- formatting
function fmtTime(s) {
  if (s == null || !isFinite(s)) return '—';
  const sign = s < 0 ? '-' : '';
  s = Math.abs(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const ss = sec.toFixed(sec < 10 ? 2 : 2).padStart(5, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${ss}` : `${sign}${m}:${ss}`;
}
function fmtNum(v, d = 0) { return v == null || !isFinite(v) ? '—' : Number(v).toFixed(d); }
function kindLabel(k) { return k.replace(/_/g, ' '); }
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---------------------------------------------------------------- geometry
function pxPerMm() { return CSS_PX_PER_MM * S.zoom; }
function pxPerSec() { return pxPerMm() * S.speed; }
function canvasCssWidth() { return $('ecg-wrap').clientWidth || 1000; }
function traceWidthPx() { return canvasCssWidth() - GUTTER_MM * pxPerMm(); }
function visibleSeconds() { return Math.max(0.2, traceWidthPx() / pxPerSec()); }
function clampT0(t) {
  const w = visibleSeconds();
  return Math.max(0, Math.min(t, Math.max(0, S.duration - w)));
}
function rowHeightMm() { return Math.max(12, S.gain * (S.resting ? 2.6 : 3)); }

// ---------------------------------------------------------------- leads
function labelKey(l) { return l.trim().toLowerCase(); }
function findSignal(label) {
  return S.signals.find((s) => labelKey(s.label) === labelKey(label));
}
function leadsForLayout() {
  if (!S.resting) return S.leads;
  const lay = LAYOUTS[S.layout];
  const need = new Set();
  for (const col of lay.cols) for (const l of col) need.add(l);
  if (lay.rhythm) need.add(S.rhythm);
  const fetch = new Set();
  for (const l of need) {
    const sig = findSignal(l);
    if (sig) fetch.add(sig.label);
    else if (LIMB_DERIVED.includes(l)) { for (const b of ['I', 'II']) { const s = findSignal(b); if (s) fetch.add(s.label); } }
  }
  if (fetch.size === 0) return S.leads;
  return [...fetch];
}

// A lead's data in the current window: {first, step, fs, values} or {first, step, fs, min, max};
// derived limb leads are computed from I and II when the record lacks them (raw windows only).
function leadData(label) {
  if (!S.win) return null;
  const find = (l) => S.win.leads.find((x) => labelKey(x.label) === labelKey(l));
  const d = find(label);
  if (d) return d;
  const I = find('I'), II = find('II');
  if (!I || !II || !I.values || !II.values || I.values.length !== II.values.length) return null;
  const f = {
    III: (a, b) => b - a, aVR: (a, b) => -(a + b) / 2, aVL: (a, b) => a - b / 2, aVF: (a, b) => b - a / 2,
  }[label];
  if (!f) return null;
  return {
    label, fs: I.fs, first_sample: I.first_sample, step: 1,
    values: I.values.map((a, i) => f(a, II.values[i])), offset: f(I.offset || 0, II.offset || 0),
  };
}

// ---------------------------------------------------------------- fetching
async function ensureWindow() {
  if (!S.ov) return;
  const w = visibleSeconds();
  const leads = leadsForLayout();
  const start = Math.max(0, S.t0 - w), end = Math.min(S.duration, S.t0 + 2 * w);
  const density = Math.ceil(pxPerSec() * (window.devicePixelRatio || 1) * 2);
  const key = `${S.record}|${leads.join(',')}|${density}`;
  const covered = S.win && S.winKey === key && S.win.start <= Math.max(0, S.t0) + 1e-6 &&
    S.win.end >= Math.min(S.duration, S.t0 + w) - 1e-6;
  if (!covered && !(S.fetching && S.fetching.key === key && S.fetching.start <= S.t0 && S.fetching.end >= Math.min(S.duration, S.t0 + w))) {
    const seq = ++S.fetchSeq;
    const maxPoints = Math.max(16, Math.min(20000, Math.ceil((end - start) * density / 2)));
    const q = `?record=${S.record}&start=${start.toFixed(3)}&end=${end.toFixed(3)}` +
      `&leads=${encodeURIComponent(leads.join(','))}&max_points=${maxPoints}`;
    S.fetching = { key, start, end };
    api(`/signal${q}`).then((win) => {
      if (seq !== S.fetchSeq) return;
      adoptWindow(win, key);
    }).catch((e) => { S.fetching = null; message(`signal: ${e.message}`, true); });
  }
  ensureBeats(start, end);
}

function adoptWindow(win, key) {
  for (const l of win.leads) {
    const arr = l.values || l.min;
    let sum = 0, n = 0;
    for (let i = 0; i < arr.length; i++) {
      const v = l.values ? arr[i] : (l.min[i] + l.max[i]) / 2;
      if (v != null && isFinite(v)) { sum += v; n++; }
    }
    l.offset = n ? sum / n : 0; // display baseline: the window's mean
  }
  S.win = win; S.winKey = key; S.fetching = null; redraw();
}

// The first window's request, sent with the overview's (every lead of record 0 from t = 0,
// as ensureWindow would ask at the default speed): the two load in parallel.
function firstWindowRequest() {
  const w = visibleSeconds(), end = 2 * w;
  const density = Math.ceil(pxPerSec() * (window.devicePixelRatio || 1) * 2);
  const maxPoints = Math.max(16, Math.min(20000, Math.ceil(end * density / 2)));
  return {
    density, end,
    win: api(`/signal?record=0&start=0&end=${end.toFixed(3)}&max_points=${maxPoints}`).catch(() => null),
  };
}

// Adopts the early first window when it has every lead needed and covers the view.
async function useFirstWindow(first) {
  const win = await first.win;
  if (!win || S.win || S.record !== 0 || S.t0 !== 0) return;
  const leads = leadsForLayout();
  const density = Math.ceil(pxPerSec() * (window.devicePixelRatio || 1) * 2);
  const has = (l) => win.leads.some((x) => labelKey(x.label) === labelKey(l));
  if (density !== first.density || !leads.every(has)) return;
  if (win.end < Math.min(S.duration, visibleSeconds()) - 1e-6) return;
  win.leads = win.leads.filter((x) => leads.some((l) => labelKey(l) === labelKey(x.label)));
  win.start = 0; // as asked (the server clamps the end to the record)
  adoptWindow(win, `${S.record}|${leads.join(',')}|${density}`);
}

function ensureBeats(start, end) {
  const w = visibleSeconds();
  if (w > 900) { S.beats = null; return; }
  const version = S.ov.version;
  if (S.beats && S.beats.version === version && S.beats.record === S.record && S.beats.start <= S.t0 &&
      S.beats.end >= Math.min(S.duration, S.t0 + w)) return;
  const seq = ++S.beatsSeq;
  api(`/beats?record=${S.record}&start=${start.toFixed(3)}&end=${end.toFixed(3)}`).then((b) => {
    if (seq !== S.beatsSeq) return;
    b.start = start; b.end = end; b.version = version;
    S.beats = b; redraw(); showBeat();
  }).catch((e) => message(`beats: ${e.message}`, true));
}

// ---------------------------------------------------------------- drawing
function setupCanvas(canvas, cssW, cssH) {
  const dpr = window.devicePixelRatio || 1;
  canvas.style.height = `${cssH}px`;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

function drawGrid(ctx, x0, y0, w, h, t0) {
  const mm = pxPerMm();
  ctx.fillStyle = '#fff7f7';
  ctx.fillRect(x0, y0, w, h);
  // time-anchored vertical lines: 1 mm apart, every 5th bold
  const shiftMm = (t0 * S.speed) % 5;
  const lines = (minor) => {
    ctx.beginPath();
    for (let k = 0; ; k++) {
      const xm = k - shiftMm;
      const x = x0 + xm * mm;
      if (x > x0 + w) break;
      if (x < x0) continue;
      const major = Math.round(((xm + shiftMm) % 5 + 5) % 5) === 0;
      if (major !== minor) { ctx.moveTo(Math.round(x) + 0.5, y0); ctx.lineTo(Math.round(x) + 0.5, y0 + h); }
    }
    for (let k = 0; k * mm <= h; k++) {
      const major = k % 5 === 0;
      if (major !== minor) { const y = Math.round(y0 + k * mm) + 0.5; ctx.moveTo(x0, y); ctx.lineTo(x0 + w, y); }
    }
    ctx.stroke();
  };
  if (mm >= 2.5) { ctx.strokeStyle = '#f6cccc'; ctx.lineWidth = 1; lines(true); }
  ctx.strokeStyle = '#e79a9a'; ctx.lineWidth = 1; lines(false);
}

function drawCalibration(ctx, x, yBase) {
  const mm = pxPerMm();
  const hpx = S.gain * mm; // 1 mV
  const wpx = 0.2 * pxPerSec() > 5 * mm ? 5 * mm : 0.2 * pxPerSec();
  ctx.strokeStyle = '#000'; ctx.lineWidth = 1.2;
  ctx.beginPath();
  ctx.moveTo(x, yBase); ctx.lineTo(x + 1.5 * mm, yBase); ctx.lineTo(x + 1.5 * mm, yBase - hpx);
  ctx.lineTo(x + 1.5 * mm + wpx, yBase - hpx); ctx.lineTo(x + 1.5 * mm + wpx, yBase); ctx.lineTo(x + 1.5 * mm + wpx + mm, yBase);
  ctx.stroke();
}

// Draws a lead's data between times [ta, tb) into the box starting at x (time ta).
function drawTrace(ctx, d, ta, tb, x, yBase) {
  if (!d) return;
  const pps = pxPerSec(), mvpx = S.gain * pxPerMm();
  const off = d.offset || 0;
  ctx.strokeStyle = '#111'; ctx.lineWidth = 1; ctx.lineJoin = 'round';
  ctx.beginPath();
  let pen = false;
  if (d.values) {
    const i0 = Math.max(0, Math.floor(ta * d.fs) - d.first_sample);
    const i1 = Math.min(d.values.length, Math.ceil(tb * d.fs) - d.first_sample + 1);
    for (let i = i0; i < i1; i++) {
      const v = d.values[i];
      if (v == null || !isFinite(v)) { pen = false; continue; }
      const t = (d.first_sample + i) / d.fs;
      const px = x + (t - ta) * pps, py = yBase - (v - off) * mvpx;
      if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
    }
  } else {
    const per = d.step / d.fs;
    const i0 = Math.max(0, Math.floor((ta * d.fs - d.first_sample) / d.step));
    const i1 = Math.min(d.min.length, Math.ceil((tb * d.fs - d.first_sample) / d.step) + 1);
    for (let i = i0; i < i1; i++) {
      const lo = d.min[i], hi = d.max[i];
      if (lo == null || hi == null) { pen = false; continue; }
      const t = d.first_sample / d.fs + i * per;
      const px = x + (t - ta) * pps;
      const y1 = yBase - (hi - off) * mvpx, y2 = yBase - (lo - off) * mvpx;
      if (pen) ctx.lineTo(px, y1); else { ctx.moveTo(px, y1); pen = true; }
      ctx.lineTo(px, y2);
    }
  }
  ctx.stroke();
}

function drawEpisodes(ctx, x0, y0, h, ta, tb) {
  if (!S.ov) return;
  const pps = pxPerSec();
  for (const e of S.ov.episodes) {
    const col = EPISODE_COLORS[e.kind];
    if (!col) continue;
    const a = e.start / S.fs, b = e.end / S.fs;
    if (b < ta || a > tb) continue;
    const xa = x0 + (Math.max(a, ta) - ta) * pps, xb = x0 + (Math.min(b, tb) - ta) * pps;
    ctx.fillStyle = col;
    ctx.fillRect(xa, y0, Math.max(2, xb - xa), h);
  }
}

function drawBeats(ctx, x0, yBand, yTop, yBottom, ta, tb) {
  const b = S.beats;
  if (!b) return;
  const pps = pxPerSec(), mm = pxPerMm();
  ctx.font = `${Math.max(9, Math.round(3.2 * mm))}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  const sparse = (tb - ta) < 120;
  for (let i = 0; i < b.sample.length; i++) {
    const t = b.sample[i] / b.fs;
    if (t < ta || t > tb) continue;
    const x = x0 + (t - ta) * pps;
    const c = b.class[i];
    if (b.sample[i] === S.selected) {
      ctx.fillStyle = 'rgba(255,235,59,0.45)';
      ctx.fillRect(x - 2.5 * mm, yTop, 5 * mm, yBottom - yTop);
    }
    ctx.strokeStyle = c === 'N' ? 'rgba(0,0,0,0.25)' : CLASS_COLORS[c];
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(x, yBand + mm); ctx.lineTo(x, yBand + BEAT_BAND_MM * mm - 0.5 * mm); ctx.stroke();
    if (sparse) {
      ctx.fillStyle = CLASS_COLORS[c] || '#000';
      ctx.fillText(c, x, yBand + 3.6 * mm);
    }
  }
}

function redraw() {
  if (S.dirty === 'scheduled') return;
  S.dirty = 'scheduled';
  requestAnimationFrame(() => { S.dirty = false; draw(); });
}

function draw() {
  if (!S.ov) return;
  drawOverview();
  const cssW = canvasCssWidth();
  const mm = pxPerMm(), gutter = GUTTER_MM * mm, rowH = rowHeightMm() * mm, band = BEAT_BAND_MM * mm;
  const w = visibleSeconds(), ta = S.t0, tb = S.t0 + w;
  let rows;
  if (S.resting) {
    const lay = LAYOUTS[S.layout];
    rows = Math.max(...lay.cols.map((c) => c.length)) + (lay.rhythm ? 1 : 0);
  } else rows = Math.max(1, S.leads.length);
  const cssH = Math.ceil(band + rows * rowH + 2 * mm);
  const ctx = setupCanvas($('ecg'), cssW, cssH);
  ctx.clearRect(0, 0, cssW, cssH);
  drawGrid(ctx, gutter, 0, cssW - gutter, cssH, ta);
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, gutter, cssH);
  drawEpisodes(ctx, gutter, band, cssH - band, ta, tb);
  ctx.font = `${Math.max(10, Math.round(3.5 * mm))}px system-ui, sans-serif`;
  ctx.save();
  ctx.beginPath(); ctx.rect(gutter, 0, cssW - gutter, cssH); ctx.clip();
  if (S.resting) {
    const lay = LAYOUTS[S.layout];
    // the columns share the shown time (10 s of a 10 s ECG: 2.5 s each in 3x4)
    const shown = Math.min(w, Math.max(0.1, S.duration - ta));
    const ncol = lay.cols.length, colS = shown / ncol, colW = colS * pxPerSec();
    lay.cols.forEach((col, c) => {
      const ca = ta + c * colS, cb = ca + colS, x = gutter + c * colW;
      col.forEach((lead, r) => {
        const yBase = band + r * rowH + rowH / 2;
        drawTrace(ctx, leadData(lead), ca, cb, x, yBase);
        ctx.fillStyle = '#000'; ctx.textAlign = 'left';
        ctx.fillText(lead, x + mm, band + r * rowH + 4 * mm);
        if (c > 0) { ctx.strokeStyle = '#000'; ctx.beginPath(); ctx.moveTo(x, yBase - 2 * mm); ctx.lineTo(x, yBase + 2 * mm); ctx.stroke(); }
      });
    });
    if (lay.rhythm) {
      const r = rows - 1, yBase = band + r * rowH + rowH / 2;
      drawTrace(ctx, leadData(S.rhythm), ta, ta + shown, gutter, yBase);
      ctx.fillStyle = '#000'; ctx.textAlign = 'left';
      ctx.fillText(S.rhythm, gutter + mm, band + r * rowH + 4 * mm);
      S.rhythmDrawn = S.win && S.win.leads.some((l) => labelKey(l.label) === labelKey(S.rhythm)) ? S.rhythm : null;
    } else S.rhythmDrawn = null;
  } else {
    S.leads.forEach((lead, r) => {
      const yBase = band + r * rowH + rowH / 2;
      drawTrace(ctx, leadData(lead), ta, tb, gutter, yBase);
    });
  }
  drawBeats(ctx, gutter, 0, band, cssH, ta, tb);
  if (S.cursor != null && S.cursor >= ta && S.cursor <= tb) {
    const x = gutter + (S.cursor - ta) * pxPerSec();
    ctx.strokeStyle = 'rgba(21,101,192,0.8)'; ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, cssH); ctx.stroke(); ctx.setLineDash([]);
  }
  ctx.restore();
  // gutter: labels and calibration pulses
  ctx.fillStyle = '#000'; ctx.textAlign = 'left';
  if (S.resting) {
    const lay = LAYOUTS[S.layout];
    for (let r = 0; r < rows; r++) drawCalibration(ctx, 2 * mm, band + r * rowH + rowH / 2 + 0.5 * S.gain * mm);
  } else {
    S.leads.forEach((lead, r) => {
      const yBase = band + r * rowH + rowH / 2;
      ctx.fillText(lead, 1 * mm, band + r * rowH + 4 * mm);
      drawCalibration(ctx, 2 * mm, yBase + 0.5 * S.gain * mm);
    });
  }
  $('cursor-time').textContent = S.cursor != null ? `cursor ${fmtTime(S.cursor)}` : '';
  $('view-time').textContent = `${fmtTime(ta)} – ${fmtTime(Math.min(tb, S.duration))} of ${fmtTime(S.duration)} · ` +
    `${S.speed} mm/s · ${S.gain} mm/mV · 1 mm = ${mm.toFixed(2)} px`;
  S.renders++;
  if (S.firstRenderMs == null && S.win && S.win.leads.length) {
    S.firstRenderMs = performance.now(); // since navigation start
    document.body.dataset.firstRenderMs = S.firstRenderMs.toFixed(0);
    document.body.dataset.ready = '1';
  }
  ensureWindow();
}

function drawOverview() {
  const c = $('overview');
  const cssW = c.clientWidth || 1000, cssH = 110;
  const ctx = setupCanvas(c, cssW, cssH);
  ctx.clearRect(0, 0, cssW, cssH);
  const tr = S.ov.trend, n = tr.mean.length;
  const x = (t) => (t / S.duration) * cssW;
  const lo = 30, hi = 180;
  const y = (hr) => 8 + (1 - (Math.min(hi, Math.max(lo, hr)) - lo) / (hi - lo)) * (cssH - 30);
  // episodes
  for (const e of S.ov.episodes) {
    const col = EPISODE_COLORS[e.kind];
    if (!col) continue;
    ctx.fillStyle = col.replace(/0\.1[58]\)/, '0.5)');
    ctx.fillRect(x(e.start / S.fs), cssH - 20, Math.max(2, x(e.end / S.fs) - x(e.start / S.fs)), 6);
  }
  // the event list's events as marks along the top; the current one larger
  if (S.events && S.events.length) {
    const mark = (e, r) => {
      const px = x(Math.max(0, Math.min(S.duration, e.t)));
      ctx.moveTo(px - r, 12); ctx.lineTo(px + r, 12); ctx.lineTo(px, 12 + 1.6 * r); ctx.closePath();
    };
    ctx.fillStyle = 'rgba(216,27,96,0.6)';
    ctx.beginPath();
    const taken = new Uint8Array(Math.ceil(cssW) + 1); // one mark per pixel column
    S.events.forEach((e, i) => {
      const col = Math.round(x(Math.max(0, Math.min(S.duration, e.t))));
      if (i === S.eventIdx || taken[col]) return;
      taken[col] = 1;
      mark(e, 3);
    });
    ctx.fill();
    const cur = S.events[S.eventIdx];
    if (cur) { ctx.fillStyle = '#d81b60'; ctx.beginPath(); mark(cur, 5); ctx.fill(); }
  }
  // HR min-max band and mean
  ctx.fillStyle = 'rgba(38,50,56,0.15)';
  for (let i = 0; i < n; i++) {
    if (tr.min[i] == null) continue;
    const xa = x(i * tr.bucket_s), xb = Math.max(xa + 1, x((i + 1) * tr.bucket_s));
    ctx.fillRect(xa, y(tr.max[i]), xb - xa, Math.max(1, y(tr.min[i]) - y(tr.max[i])));
  }
  ctx.strokeStyle = '#263238'; ctx.lineWidth = 1; ctx.beginPath();
  let pen = false;
  for (let i = 0; i < n; i++) {
    if (tr.mean[i] == null) { pen = false; continue; }
    const px = x((i + 0.5) * tr.bucket_s), py = y(tr.mean[i]);
    if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
  }
  ctx.stroke();
  // ectopy ticks
  for (let i = 0; i < n; i++) {
    const px = x(i * tr.bucket_s);
    if (tr.v[i]) { ctx.fillStyle = CLASS_COLORS.V; ctx.fillRect(px, cssH - 12, 1.5, 6); }
    if (tr.s[i]) { ctx.fillStyle = CLASS_COLORS.S; ctx.fillRect(px, cssH - 6, 1.5, 6); }
  }
  // labels and view box
  ctx.fillStyle = '#555'; ctx.font = '10px system-ui, sans-serif'; ctx.textAlign = 'left';
  ctx.fillText(`HR ${lo}-${hi} bpm`, 3, 10);
  ctx.textAlign = 'right'; ctx.fillText(fmtTime(S.duration), cssW - 3, 10);
  ctx.strokeStyle = '#1565c0'; ctx.lineWidth = 1.5;
  const vx = x(S.t0), vw = Math.max(3, x(S.t0 + visibleSeconds()) - vx);
  ctx.strokeRect(vx + 0.5, 1, vw, cssH - 2);
}

// ---------------------------------------------------------------- side panel
function renderSide() {
  const ov = S.ov, sm = ov.summary, hrv = ov.hrv || {};
  const cc = sm.class_counts || [0, 0, 0, 0, 0];
  const rows = [
    ['Beats', ov.total_beats], ['N', cc[0]], ['S (SVEB)', cc[1]], ['V (VEB)', cc[2]], ['F', cc[3]], ['Q', cc[4]],
    ['HR min', sm.hr_min ? `${fmtNum(sm.hr_min[0])} bpm at ${fmtTime(sm.hr_min[1] / S.fs)}` : '—'],
    ['HR mean', sm.hr_mean != null ? `${fmtNum(sm.hr_mean)} bpm` : '—'],
    ['HR max', sm.hr_max ? `${fmtNum(sm.hr_max[0])} bpm at ${fmtTime(sm.hr_max[1] / S.fs)}` : '—'],
    ['Longest RR', sm.longest_rr ? `${fmtNum(sm.longest_rr[0], 2)} s` : '—'],
    ['AF burden', `${fmtNum(100 * (sm.af_burden || 0), 1)} %`],
    ['SDNN', hrv.sdnn_ms != null ? `${fmtNum(hrv.sdnn_ms)} ms` : '—'],
    ['RMSSD', hrv.rmssd_ms != null ? `${fmtNum(hrv.rmssd_ms)} ms` : '—'],
  ];
  const t = $('stats');
  t.replaceChildren();
  for (const [k, v] of rows) {
    const tr = el('tr');
    tr.append(el('th', {}, k), el('td', { class: 'num', 'data-stat': k.split(' ')[0] }, String(v)));
    t.append(tr);
  }
  // events: episodes other than sinus rhythm, plus HR extremes and the longest pause; when
  // the overview lists only some of the episodes, a paged list read from the API
  if (ov.episodes_total > ov.episodes.length) setupPagedEvents();
  else renderPlainEvents();
  // templates
  const tt = $('templates');
  tt.replaceChildren();
  const head = el('tr');
  for (const h of ['#', 'class', 'beats', 'QRS ms']) head.append(el('th', {}, h));
  tt.append(head);
  if (ov.templates_total > ov.templates.length) {
    const note = el('tr', { class: 'small' });
    note.append(el('td', { colspan: '4' }, `the ${ov.templates.length} largest of ${ov.templates_total} templates`));
    tt.append(note);
  }
  for (const tp of ov.templates) {
    if (!tp.count) continue;
    const tr = el('tr', { 'data-template': String(tp.id) });
    if (tp.id === S.selectedTemplate) tr.className = 'current';
    tr.append(el('td', {}, String(tp.id)), el('td', {}, tp.class), el('td', { class: 'num' }, String(tp.count)),
      el('td', { class: 'num' }, fmtNum(tp.qrs_ms)));
    tr.addEventListener('click', () => {
      S.selectedTemplate = tp.id;
      jumpTo(tp.example_sample / S.fs);
      S.selected = tp.example_sample;
      renderSide(); showBeat();
    });
    tt.append(tr);
  }
  // reviewer episodes
  const ul = $('episodes');
  ul.replaceChildren();
  for (const e of ov.episodes) {
    if (!['atrial_fibrillation', 'atrial_flutter', 'noise'].includes(e.kind)) continue;
    const li = el('li', {}, `${kindLabel(e.kind)} ${fmtTime(e.start / S.fs)} – ${fmtTime(e.end / S.fs)} `);
    li.addEventListener('click', () => jumpTo(e.start / S.fs - 1));
    if (editable()) {
      const edit = el('button', {}, 'Edit');
      edit.addEventListener('click', (ev) => { ev.stopPropagation(); editEpisode(e); });
      const del = el('button', {}, 'Delete');
      del.addEventListener('click', (ev) => {
        ev.stopPropagation();
        sendEdit({ op: 'replace_episode', record: S.record, old: { kind: e.kind, start: e.start, end: e.end } }, 'episode deleted');
      });
      li.append(edit, del);
    }
    ul.append(li);
  }
  // review text (not while the user types)
  if (document.activeElement !== $('statements')) $('statements').value = ov.review.statements.join('\n');
  if (document.activeElement !== $('conclusion')) $('conclusion').value = ov.review.conclusion || '';
  $('undo').disabled = !ov.review.can_undo || !editable();
  $('redo').disabled = !ov.review.can_redo || !editable();
  $('audit').textContent = `version ${ov.version} · ${ov.review.edits} edit(s)` +
    (ov.review.updated_by ? ` · last by ${ov.review.updated_by} at ${ov.review.updated_at}` : '') +
    (ov.approved_by ? ` · approved by ${ov.approved_by}` : '');
  $('status').textContent = `status: ${ov.task.status}`;
  document.body.classList.toggle('read-only', !editable());
  $('statements').readOnly = !editable();
  $('conclusion').readOnly = !editable();
  $('approve').hidden = !editable();
  showReport();
}

// Events that come from the summary: HR extremes and the longest RR.
function summaryEvents(sm) {
  const ev = [];
  if (sm.hr_max) ev.push({ t: sm.hr_max[1] / S.fs - 3, label: `HR max ${fmtNum(sm.hr_max[0])} bpm` });
  if (sm.hr_min) ev.push({ t: sm.hr_min[1] / S.fs - 3, label: `HR min ${fmtNum(sm.hr_min[0])} bpm` });
  if (sm.longest_rr) ev.push({ t: sm.longest_rr[1] / S.fs - sm.longest_rr[0] - 1, label: `longest RR ${fmtNum(sm.longest_rr[0], 2)} s` });
  return ev;
}
function episodeEvent(e, fs) {
  return { t: e.start / fs, end: e.end / fs, label: kindLabel(e.kind), beats: e.beats, kind: e.kind };
}
function eventText(e) { return `${fmtTime(e.t)} ${e.label}${e.end ? ` (${fmtNum(e.end - e.t, 1)} s)` : ''}`; }

// Every episode is in the overview: one list, summary events included.
function renderPlainEvents() {
  const ov = S.ov;
  S.evp = null;
  $('event-kind-label').hidden = true;
  const ev = ov.episodes.filter((e) => e.kind !== 'sinus_rhythm').map((e) => episodeEvent(e, S.fs));
  ev.push(...summaryEvents(ov.summary));
  ev.sort((a, b) => a.t - b.t);
  S.events = ev;
  const ol = $('events');
  ol.replaceChildren();
  ol.classList.remove('paged');
  ev.slice(0, 5000).forEach((e, i) => {
    const li = el('li', { 'data-index': String(i) }, eventText(e));
    li.addEventListener('click', () => gotoEvent(i));
    ol.append(li);
  });
  if (ev.length > 5000) ol.append(el('li', {}, `… ${ev.length - 5000} more (use ] and [)`));
}

// ---------------------------------------------------------------- paged event list
// The overview lists a bounded selection of a long recording's episodes; the event list then
// reads them from GET .../episodes a page at a time (by start, optionally one kind), as the
// list is scrolled, a gap is clicked or ]/[ step past what is loaded. Loaded episodes are
// kept by their position in the whole (filtered) list, so pages can be loaded anywhere.
function pagedKinds(kind) {
  if (kind) return [kind];
  return Object.keys(S.ov.episode_counts || {}).filter((k) => k !== 'sinus_rhythm');
}
function setupPagedEvents() {
  const ov = S.ov, sel = $('event-kind');
  $('event-kind-label').hidden = false;
  const counts = Object.entries(ov.episode_counts || {}).filter(([k]) => k !== 'sinus_rhythm');
  const opts = [['', `all (${counts.reduce((a, [, n]) => a + n, 0)})`], ...counts.map(([k, n]) => [k, `${kindLabel(k)} (${n})`])];
  const optKey = JSON.stringify(opts);
  if (sel.dataset.key !== optKey) {
    const keep = sel.value;
    sel.replaceChildren(...opts.map(([v, t]) => el('option', { value: v }, t)));
    sel.value = counts.some(([k]) => k === keep) ? keep : '';
    sel.dataset.key = optKey;
  }
  const kind = sel.value;
  const key = `${S.record}|${ov.version}|${kind}`;
  if (S.evp && S.evp.key === key) { renderPagedEvents(); return; }
  const prev = S.evp;
  S.evp = { key, kind, kinds: pagedKinds(kind), total: null, items: new Map(), seq: 0, loading: false, pinned: summaryEvents(ov.summary) };
  S.events = [];
  S.eventIdx = -1;
  renderPagedEvents();
  // the same place again after an edit (a new version), else the start
  const cur = prev && prev.kind === kind && prev.current != null ? prev.current : null;
  loadEventPage(cur != null ? { seek: cur } : { offset: 0 });
}
async function loadEventPage(at) {
  const P = S.evp;
  if (!P) return null;
  if (!P.kinds.length) { P.total = 0; renderPagedEvents(); return null; }
  const seq = ++P.seq;
  P.loading = true;
  const q = `?record=${S.record}&kind=${encodeURIComponent(P.kinds.join(','))}&limit=${S.eventPage}` +
    (at.seek != null ? `&seek=${Math.max(0, at.seek).toFixed(3)}` : `&offset=${Math.max(0, at.offset)}`);
  try {
    const page = await api(`/episodes${q}`);
    if (S.evp !== P) return null;
    P.total = page.total;
    page.episodes.forEach((e, i) => P.items.set(page.offset + i, episodeEvent(e, page.fs)));
    if (seq === P.seq) P.loading = false;
    rebuildPagedEvents();
    return page;
  } catch (e) {
    if (seq === P.seq) P.loading = false;
    message(`events: ${e.message}`, true);
    return null;
  }
}
function rebuildPagedEvents() {
  const P = S.evp;
  const abs = [...P.items.keys()].sort((a, b) => a - b);
  S.events = abs.map((k) => Object.assign(P.items.get(k), { abs: k }));
  S.eventIdx = P.current != null ? S.events.findIndex((e) => e.abs === P.currentAbs) : -1;
  renderPagedEvents();
  redraw();
}
function renderPagedEvents() {
  const P = S.evp, ol = $('events');
  const keep = ol.scrollTop;
  ol.replaceChildren();
  ol.classList.add('paged');
  const kindText = P.kind ? ` of kind ${kindLabel(P.kind)}` : '';
  ol.append(el('li', { class: 'small', 'data-testid': 'events-paged' }, P.total == null
    ? 'loading events…'
    : `${P.total} events${kindText}, ${S.events.length} loaded (${S.ov.episodes.length} of ${S.ov.episodes_total} episodes in the overview)`));
  for (const e of P.pinned) {
    const li = el('li', { class: 'pinned' }, eventText(e));
    li.addEventListener('click', () => { S.cursor = Math.max(0, e.t); jumpTo(e.t - visibleSeconds() * 0.25); });
    ol.append(li);
  }
  const gap = (from, to, testid) => {
    const li = el('li', { class: 'gap', 'data-from': String(from), ...(testid ? { 'data-testid': testid } : {}) },
      `… ${to - from + 1} more (click or scroll to load)`);
    li.addEventListener('click', () => loadEventPage({ offset: from }));
    ol.append(li);
  };
  let prev = -1;
  S.events.forEach((e, i) => {
    if (e.abs > prev + 1) gap(prev + 1, e.abs - 1);
    const li = el('li', { 'data-index': String(i), 'data-abs': String(e.abs) }, eventText(e));
    if (i === S.eventIdx) li.className = 'current';
    li.addEventListener('click', () => gotoEvent(i));
    ol.append(li);
    prev = e.abs;
  });
  if (P.total != null && prev < P.total - 1) gap(prev + 1, P.total - 1, 'events-more');
  ol.scrollTop = keep;
}
// Scrolled to the end of a paged list: the next page.
function onEventsScroll() {
  const P = S.evp, ol = $('events');
  if (!P || P.loading || ol.scrollTop + ol.clientHeight < ol.scrollHeight - 40) return;
  const more = ol.querySelector('li[data-testid="events-more"]');
  if (more) loadEventPage({ offset: Number(more.dataset.from) });
}
// Goes to the episode at a position of the paged list, loading its page first.
async function gotoAbs(abs, dir) {
  const P = S.evp;
  if (!P.items.has(abs)) {
    await loadEventPage({ offset: dir < 0 ? Math.max(0, abs - S.eventPage + 1) : abs });
    if (S.evp !== P) return;
  }
  const i = S.events.findIndex((e) => e.abs === abs);
  if (i >= 0) gotoEvent(i);
}
async function nextPagedEvent(dir) {
  const P = S.evp;
  if (P.total == null || P.total === 0) return;
  const ref = S.cursor != null ? S.cursor : S.t0;
  if (dir > 0) {
    const i = S.events.findIndex((e) => e.t > ref + 0.01);
    if (i >= 0 && (S.events[i].abs === 0 || P.items.has(S.events[i].abs - 1))) { gotoEvent(i); return; }
    if (i < 0 && S.events.length && S.events[S.events.length - 1].abs === P.total - 1) { await gotoAbs(0, 1); return; }
    const page = await loadEventPage({ seek: ref + 0.01 });
    if (page) await gotoAbs(page.offset < page.total ? page.offset : 0, 1);
  } else {
    let i = -1;
    for (let k = S.events.length - 1; k >= 0; k--) if (S.events[k].t < ref - 0.01) { i = k; break; }
    if (i >= 0 && (S.events[i].abs === P.total - 1 || P.items.has(S.events[i].abs + 1))) { gotoEvent(i); return; }
    if (i < 0 && S.events.length && S.events[0].abs === 0) { await gotoAbs(P.total - 1, -1); return; }
    const page = await loadEventPage({ seek: ref - 0.01 });
    if (page) await gotoAbs(page.offset > 0 ? page.offset - 1 : P.total - 1, -1);
  }
}

function showBeat() {
  const info = $('beat-info');
  if (S.selected == null || !S.beats) { info.textContent = 'none (click a beat, or press . )'; return; }
  const i = S.beats.sample.indexOf(S.selected);
  if (i < 0) { info.textContent = 'none'; return; }
  info.textContent = `${S.beats.class[i]} at ${fmtTime(S.selected / S.beats.fs)} (sample ${S.selected}), template ${S.beats.template[i]}`;
  info.dataset.sample = String(S.selected);
  info.dataset.class = S.beats.class[i];
}

function editable() { return S.mode === 'review' && S.ov && S.ov.editable; }

// ---------------------------------------------------------------- navigation
function jumpTo(t) {
  S.t0 = clampT0(t);
  redraw();
}
function gotoEvent(i) {
  if (!S.events || !S.events.length) return;
  S.eventIdx = (i + S.events.length) % S.events.length;
  const e = S.events[S.eventIdx];
  if (S.evp) { S.evp.current = e.t; S.evp.currentAbs = e.abs; }
  S.cursor = Math.max(0, e.t);
  jumpTo(e.t - visibleSeconds() * 0.25);
  for (const li of $('events').children) li.classList.toggle('current', li.dataset.index !== undefined && Number(li.dataset.index) === S.eventIdx);
  const cur = $('events').querySelector(`li[data-index="${S.eventIdx}"]`);
  if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: 'nearest' });
}
function nextEvent(dir) {
  if (S.evp) { nextPagedEvent(dir); return; }
  if (!S.events || !S.events.length) return;
  const ref = S.cursor != null ? S.cursor : S.t0;
  let i;
  if (dir > 0) { i = S.events.findIndex((e) => e.t > ref + 0.01); if (i < 0) i = 0; }
  else { i = -1; for (let k = S.events.length - 1; k >= 0; k--) if (S.events[k].t < ref - 0.01) { i = k; break; } if (i < 0) i = S.events.length - 1; }
  gotoEvent(i);
}
function selectBeatNear(t, maxDist) {
  if (!S.beats) return false;
  let best = -1, bd = Infinity;
  for (let i = 0; i < S.beats.sample.length; i++) {
    const d = Math.abs(S.beats.sample[i] / S.beats.fs - t);
    if (d < bd) { bd = d; best = i; }
  }
  if (best >= 0 && bd <= maxDist) { S.selected = S.beats.sample[best]; showBeat(); redraw(); return true; }
  return false;
}
function stepBeat(dir) {
  if (!S.beats || !S.beats.sample.length) return;
  const fs = S.beats.fs;
  const ref = S.selected != null ? S.selected : Math.round((S.cursor != null ? S.cursor : S.t0) * fs) - dir;
  let i;
  if (dir > 0) i = S.beats.sample.findIndex((s) => s > ref);
  else { i = -1; for (let k = S.beats.sample.length - 1; k >= 0; k--) if (S.beats.sample[k] < ref) { i = k; break; } }
  if (i < 0) return;
  S.selected = S.beats.sample[i];
  const t = S.selected / fs;
  S.cursor = t;
  if (t < S.t0 || t > S.t0 + visibleSeconds()) jumpTo(t - visibleSeconds() / 2);
  showBeat(); redraw();
}
function setSpeed(v) {
  const center = S.t0 + visibleSeconds() / 2;
  S.speed = v; $('speed').value = String(v);
  S.t0 = clampT0(center - visibleSeconds() / 2);
  redraw();
}

// ---------------------------------------------------------------- edits
async function sendEdit(edit, done) {
  if (!editable()) return;
  try {
    const ov = await api('/edits', { method: 'POST', body: { edit, expected_version: S.ov.version, view_max_episodes: S.maxEpisodes || undefined } });
    applyOverview(ov);
    message(`${done} (version ${ov.version})`);
  } catch (e) {
    message(`${done.split(' ')[0]}: ${e.message}`, true);
    if (e.status === 409) await reload();
  }
}
async function undoRedo(which) {
  if (!editable()) return;
  try {
    const ov = await api(`/edits/${which}`, { method: 'POST', body: { expected_version: S.ov.version, view_record: S.record, view_max_episodes: S.maxEpisodes || undefined } });
    applyOverview(ov);
    message(`${which} done (version ${ov.version})`);
  } catch (e) { message(`${which}: ${e.message}`, true); }
}
function relabel(cls, wholeTemplate) {
  if (S.selected == null || !S.beats) return;
  const i = S.beats.sample.indexOf(S.selected);
  if (i < 0) return;
  if (wholeTemplate) {
    sendEdit({ op: 'relabel_template', record: S.record, template: S.beats.template[i], class: cls },
      `template ${S.beats.template[i]} relabelled ${cls}`);
  } else {
    sendEdit({ op: 'relabel', record: S.record, beats: [{ sample: S.selected, class: cls }] }, `beat relabelled ${cls}`);
  }
}
function deleteBeat() {
  if (S.selected == null) return;
  const s = S.selected;
  S.selected = null;
  sendEdit({ op: 'delete_beats', record: S.record, samples: [s] }, 'beat deleted');
}
function addBeatAt(t) {
  const s = Math.round(t * S.fs);
  S.selected = s;
  sendEdit({ op: 'add_beats', record: S.record, beats: [{ sample: s, class: 'N' }] }, 'beat added');
}
function applyOverview(ov) {
  S.ov = ov;
  S.beats = null; // beats changed: fetch again
  renderSide(); redraw();
}
function parseTimeInput(v) {
  v = v.trim();
  if (!v) return NaN;
  const parts = v.split(':').map(Number);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}
function editEpisode(e) {
  S.episodeEdit = e;
  $('ep-kind').value = e.kind;
  $('ep-start').value = fmtNum(e.start / S.fs, 2);
  $('ep-end').value = fmtNum(e.end / S.fs, 2);
  $('ep-save').textContent = 'Save';
  $('ep-new').hidden = false;
}
function saveEpisode() {
  const a = parseTimeInput($('ep-start').value), b = parseTimeInput($('ep-end').value);
  if (!isFinite(a) || !isFinite(b) || b <= a) { message('episode: give a start before the end (seconds or h:m:s)', true); return; }
  const neu = { kind: $('ep-kind').value, start: Math.round(a * S.fs), end: Math.round(b * S.fs) };
  const old = S.episodeEdit ? { kind: S.episodeEdit.kind, start: S.episodeEdit.start, end: S.episodeEdit.end } : undefined;
  S.episodeEdit = null; $('ep-save').textContent = 'Add'; $('ep-new').hidden = true;
  sendEdit({ op: 'replace_episode', record: S.record, old, new: neu }, old ? 'episode changed' : 'episode added');
}

// ---------------------------------------------------------------- approval and report
async function approve() {
  const reviewer = $('approve-name').value.trim() || undefined;
  try {
    await api('/approve', { method: 'POST', body: { reviewer } });
    $('approve-panel').hidden = true;
    message('approved: the final report is being made');
    await reload();
    pollReport();
  } catch (e) { message(`approve: ${e.message}`, true); }
}
async function pollReport() {
  for (let i = 0; i < 600; i++) {
    const t = await api(''); // the task (or the shared task): its report state
    const st = t.report.state;
    if (st !== 'queued') { if (S.ov) S.ov.task.report = t.report; showReport(); return; }
    await new Promise((r) => setTimeout(r, 300));
  }
}
function showReport() {
  const a = $('pdf');
  const state = S.ov && S.ov.task.report ? S.ov.task.report.state : 'none';
  a.hidden = state !== 'ready';
  a.dataset.state = state;
  if (state !== 'ready') return;
  if (S.mode === 'share') { a.href = `${apiBase()}/report`; a.setAttribute('download', `${S.ov.task.task_id}.pdf`); return; }
  a.href = '#';
  a.onclick = async (ev) => {
    ev.preventDefault();
    const res = await api('/report', { raw: true });
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const tmp = el('a', { href: url, download: `${S.ov.task.task_id}.pdf` });
    document.body.append(tmp); tmp.click(); tmp.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  };
}

// ---------------------------------------------------------------- setup
function overviewPath() {
  return `/overview?record=${S.record}${S.maxEpisodes ? `&max_episodes=${S.maxEpisodes}` : ''}`;
}
async function reload() {
  const ov = await api(overviewPath());
  S.ov = ov;
  S.beats = null;
  renderSide(); redraw();
}

function setupRecord() {
  const ov = S.ov;
  const rec = ov.records[S.record] || ov.records[0] || { signals: [], duration_s: ov.samples / ov.fs };
  S.fs = ov.fs;
  S.duration = rec.duration_s || ov.samples / ov.fs;
  S.signals = rec.signals || [];
  S.resting = ov.task.kind === 'resting' && S.duration <= 60;
  $('layout-label').hidden = !S.resting;
  setupRhythm();
  if (!S.resting) {
    const analysed = ov.analysed_leads.filter((l) => findSignal(l));
    S.leads = (analysed.length ? analysed : S.signals.map((s) => s.label)).slice(0, 3);
  } else S.leads = S.signals.map((s) => s.label);
  const box = $('leads');
  box.replaceChildren();
  if (!S.resting) {
    for (const s of S.signals) {
      const id = `lead-${s.label}`;
      const cb = el('input', { type: 'checkbox', id, 'data-lead': s.label });
      cb.checked = S.leads.includes(s.label);
      cb.addEventListener('change', () => {
        S.leads = S.signals.map((x) => x.label).filter((l) => document.getElementById(`lead-${l}`).checked);
        redraw();
      });
      const lab = el('label', { for: id });
      lab.append(cb, document.createTextNode(` ${s.label}`));
      box.append(lab);
    }
  }
  const p = ov.patient || {};
  $('patient').textContent = [p.name, p.patient_id].filter(Boolean).join(' · ');
  const sel = $('record');
  sel.replaceChildren();
  ov.records.forEach((r, i) => sel.append(el('option', { value: String(i) }, `${i}: ${r.name}`)));
  sel.value = String(S.record);
  $('record-label').hidden = ov.records.length < 2;
  S.win = null; S.beats = null;
  S.t0 = 0;
}

// The rhythm strip's lead (resting 3x4+1): one of the record's leads, from the address
// (?rhythm=V5), else II when the record has it, else its first lead.
function setupRhythm() {
  const sel = $('rhythm');
  sel.replaceChildren(...S.signals.map((sg) => el('option', { value: sg.label }, sg.label)));
  const pick = (l) => l && findSignal(l) ? findSignal(l).label : null;
  S.rhythm = pick(S.rhythmWanted) || pick('II') || (S.signals[0] ? S.signals[0].label : 'II');
  sel.value = S.rhythm;
  showRhythm();
}
function defaultRhythm() {
  const ii = findSignal('II');
  return ii ? ii.label : (S.signals[0] ? S.signals[0].label : 'II');
}
function showRhythm() { $('rhythm-label').hidden = !(S.resting && LAYOUTS[S.layout].rhythm); }
// Keeps the resting view settings in the address (?layout=6x2&rhythm=V5), so a reload or a
// shared address opens the same view; defaults are left out.
function persistView() {
  const q = new URLSearchParams(location.search);
  const set = (k, v, dflt) => { if (S.resting && v !== dflt) q.set(k, v); else q.delete(k); };
  set('layout', S.layout, '3x4+1');
  set('rhythm', S.rhythm, defaultRhythm());
  S.rhythmWanted = q.get('rhythm');
  const qs = q.toString();
  history.replaceState(null, '', location.pathname + (qs ? `?${qs}` : ''));
}

function bind() {
  const canvas = $('ecg');
  $('speed').addEventListener('change', (e) => setSpeed(Number(e.target.value)));
  $('gain').addEventListener('change', (e) => { S.gain = Number(e.target.value); redraw(); });
  $('zoom').addEventListener('change', (e) => { S.zoom = Number(e.target.value); S.t0 = clampT0(S.t0); redraw(); });
  $('layout').addEventListener('change', (e) => { S.layout = e.target.value; showRhythm(); persistView(); redraw(); });
  $('rhythm').addEventListener('change', (e) => { S.rhythm = e.target.value; persistView(); redraw(); });
  $('event-kind').addEventListener('change', () => { if (S.ov) renderSide(); });
  $('events').addEventListener('scroll', onEventsScroll);
  $('record').addEventListener('change', async (e) => { S.record = Number(e.target.value); await reload(); setupRecord(); redraw(); });
  $('undo').addEventListener('click', () => undoRedo('undo'));
  $('redo').addEventListener('click', () => undoRedo('redo'));
  $('approve').addEventListener('click', () => { $('approve-panel').hidden = false; $('approve-name').focus(); });
  $('approve-cancel').addEventListener('click', () => { $('approve-panel').hidden = true; });
  $('approve-confirm').addEventListener('click', approve);
  $('delete-beat').addEventListener('click', deleteBeat);
  for (const b of document.querySelectorAll('#beat-buttons button[data-class]')) {
    b.addEventListener('click', (e) => relabel(b.dataset.class, e.shiftKey));
  }
  $('save-statements').addEventListener('click', () => {
    const lines = $('statements').value.split('\n').map((s) => s.trim()).filter(Boolean);
    sendEdit({ op: 'set_statements', statements: lines.map((text) => ({ text })) }, 'statements saved');
  });
  $('save-conclusion').addEventListener('click', () => {
    const c = $('conclusion').value.trim();
    sendEdit({ op: 'set_conclusion', conclusion: c || null }, 'conclusion saved');
  });
  $('ep-start-cursor').addEventListener('click', () => { if (S.cursor != null) $('ep-start').value = S.cursor.toFixed(2); });
  $('ep-end-cursor').addEventListener('click', () => { if (S.cursor != null) $('ep-end').value = S.cursor.toFixed(2); });
  $('ep-save').addEventListener('click', saveEpisode);
  $('ep-new').addEventListener('click', () => { S.episodeEdit = null; $('ep-save').textContent = 'Add'; $('ep-new').hidden = true; });
  $('overview').addEventListener('click', (e) => {
    const r = e.target.getBoundingClientRect();
    const t = ((e.clientX - r.left) / r.width) * S.duration;
    S.cursor = t;
    jumpTo(t - visibleSeconds() / 2);
  });
  // canvas: click selects a beat and sets the cursor; drag pans; wheel pans, ctrl+wheel zooms
  let drag = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, t0: S.t0, moved: false };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (drag.moved) { S.t0 = clampT0(drag.t0 - dx / pxPerSec()); redraw(); }
  });
  canvas.addEventListener('pointerup', (e) => {
    const d = drag; drag = null;
    if (!d || d.moved) return;
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left - GUTTER_MM * pxPerMm();
    if (x < 0) return;
    const t = S.t0 + x / pxPerSec();
    S.cursor = t;
    $('cursor-time').textContent = `cursor ${fmtTime(t)}`;
    if (e.shiftKey && editable()) { addBeatAt(t); return; }
    if (!selectBeatNear(t, 0.15)) { S.selected = null; showBeat(); }
    redraw();
  });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.ctrlKey) {
      const i = SPEEDS.indexOf(S.speed);
      setSpeed(SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + (e.deltaY < 0 ? 1 : -1)))]);
    } else {
      S.t0 = clampT0(S.t0 + (e.deltaY + e.deltaX) / pxPerSec());
      redraw();
    }
  }, { passive: false });
  window.addEventListener('resize', redraw);
  document.addEventListener('keydown', (e) => {
    const tag = (document.activeElement && document.activeElement.tagName) || '';
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(tag)) return;
    if (!S.ov) return;
    const k = e.key;
    const w = visibleSeconds();
    if ((e.ctrlKey || e.metaKey) && (k === 'z' || k === 'Z')) { e.preventDefault(); undoRedo(e.shiftKey ? 'redo' : 'undo'); return; }
    if ((e.ctrlKey || e.metaKey) && (k === 'y' || k === 'Y')) { e.preventDefault(); undoRedo('redo'); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (k === 'ArrowRight') jumpTo(S.t0 + (e.shiftKey ? w : w / 4));
    else if (k === 'ArrowLeft') jumpTo(S.t0 - (e.shiftKey ? w : w / 4));
    else if (k === 'Home') jumpTo(0);
    else if (k === 'End') jumpTo(S.duration);
    else if (k === '+' || k === '=') { const i = SPEEDS.indexOf(S.speed); setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, i + 1)]); }
    else if (k === '-' || k === '_') { const i = SPEEDS.indexOf(S.speed); setSpeed(SPEEDS[Math.max(0, i - 1)]); }
    else if (k === ']' || k === 'PageDown') nextEvent(1);
    else if (k === '[' || k === 'PageUp') nextEvent(-1);
    else if (k === '.') stepBeat(1);
    else if (k === ',') stepBeat(-1);
    else if (editable() && /^[nsvfqNSVFQ]$/.test(k)) relabel(k.toUpperCase(), e.shiftKey);
    else if (editable() && (k === 'Delete' || k === 'Backspace')) deleteBeat();
    else if (editable() && (k === 'a' || k === 'A') && S.cursor != null) addBeatAt(S.cursor);
    else return;
    e.preventDefault();
  });
}

function showLogin() {
  $('login').hidden = false;
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = $('login-key').value.trim();
    if (!v) return;
    sessionStorage.setItem(`ecg.auth.${S.taskId}`, v);
    location.reload();
  });
}

async function main() {
  const path = location.pathname;
  let m;
  if ((m = path.match(/^\/share\/([^/]+)$/))) {
    S.mode = 'share'; S.shareToken = decodeURIComponent(m[1]);
  } else if ((m = path.match(/^\/viewer\/tasks\/([^/]+)$/))) {
    S.mode = 'review'; S.taskId = decodeURIComponent(m[1]);
    const frag = new URLSearchParams(location.hash.slice(1));
    if (frag.get('token')) {
      sessionStorage.setItem(`ecg.auth.${S.taskId}`, frag.get('token'));
      history.replaceState(null, '', location.pathname + location.search);
    }
    S.auth = sessionStorage.getItem(`ecg.auth.${S.taskId}`);
  } else { message('unknown viewer address', true); return; }
  document.body.classList.toggle('read-only', S.mode === 'share');
  $('mode').textContent = S.mode === 'share' ? 'read-only (shared)' : 'review';
  $('mode').classList.toggle('ro', S.mode === 'share');
  bind();
  if (S.mode === 'review' && !S.auth) { showLogin(); return; }
  const q = new URLSearchParams(location.search);
  // view settings in the address: max_episodes (the overview's bound, 1-5000) and
  // events_page (events per page of a paged event list, 1-5000)
  const intParam = (name, lo, hi) => {
    const v = Number(q.get(name));
    return q.get(name) && Number.isInteger(v) && v >= lo && v <= hi ? v : null;
  };
  S.maxEpisodes = intParam('max_episodes', 1, 5000);
  S.rhythmWanted = q.get('rhythm');
  if (LAYOUTS[q.get('layout')]) { S.layout = q.get('layout'); $('layout').value = S.layout; }
  S.eventPage = intParam('events_page', 1, 5000) || EVENT_PAGE;
  const first = q.get('t') ? null : firstWindowRequest();
  S.timing.script = performance.now();
  try {
    S.ov = await api(overviewPath());
    S.timing.overview = performance.now();
  } catch (e) {
    message(`cannot open: ${e.message}`, true);
    if (e.status === 401 && S.mode === 'review') { sessionStorage.removeItem(`ecg.auth.${S.taskId}`); showLogin(); }
    return;
  }
  if (!S.ov.editable) document.body.classList.add('read-only');
  setupRecord();
  renderSide();
  S.timing.side = performance.now();
  if (q.get('t')) S.t0 = clampT0(Number(q.get('t')));
  if (first) await useFirstWindow(first);
  S.timing.window = performance.now();
  draw();
  S.timing.drawn = performance.now();
}

main();

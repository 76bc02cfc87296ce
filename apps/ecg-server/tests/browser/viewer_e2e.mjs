// End-to-end test of the review viewer in Debian's chromium, driven by playwright-core.
// Run by apps/ecg-server/tests/viewer_browser.rs against the real server binary on loopback;
// it prints one JSON line of observations that the Rust test checks.
//
// Environment: VIEWER_URL (reviewer page with #token=...), SHARE_URL (share page), TASK_ID,
// SHARE_TOKEN, OUT_DIR (screenshots and the downloaded PDF), CONCLUSION, REVIEWER,
// RESTING_URL (optional: a resting 12-lead task), BENCH_URL (optional: only measure the
// first render of this page), CHROMIUM (default /usr/bin/chromium).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = process.env;
const out = env.OUT_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'ecg-viewer-out-'));
fs.mkdirSync(out, { recursive: true });
const results = { out_dir: out, page_errors: [] };
const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'ecg-viewer-chromium-'));

const ctx = await chromium.launchPersistentContext(userData, {
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1500, height: 1000 },
  args: [
    ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []),
    '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps',
    '--disable-extensions', '--metrics-recording-only', '--no-default-browser-check',
  ],
});

function watch(page, name) {
  page.on('pageerror', (e) => results.page_errors.push(`${name}: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error') results.page_errors.push(`${name} console: ${m.text()}`); });
}
async function stat(page, key) {
  return page.$eval(`#stats td[data-stat="${key}"]`, (e) => e.textContent);
}
async function waitMessage(page, re, timeout = 60000) {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('message').textContent),
    re.source, { timeout });
  return page.$eval('#message', (e) => e.textContent);
}
async function openViewer(page, url) {
  const t = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  return { wall_ms: Date.now() - t, first_render_ms: Number(await page.getAttribute('body', 'data-first-render-ms')) };
}

try {
  if (env.BENCH_URL) {
    const page = await ctx.newPage();
    watch(page, 'bench');
    results.bench = await openViewer(page, env.BENCH_URL);
    results.bench.timing = await page.evaluate(() => window.ecgViewer.timing);
    results.bench.events_listed = await page.$$eval('#events li', (l) => l.length);
    results.bench.templates_listed = await page.$$eval('#templates tr', (l) => l.length);
    // a jump to the middle of the recording (overview click) and the next window
    const box = await page.locator('#overview').boundingBox();
    const t = Date.now();
    const before = await page.evaluate(() => window.ecgViewer.fetchSeq);
    await page.mouse.click(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.waitForFunction((b) => window.ecgViewer.fetchSeq > b && !window.ecgViewer.fetching, before, { timeout: 30000 });
    results.bench.jump_ms = Date.now() - t;
    results.bench.view = await page.$eval('#view-time', (e) => e.textContent);
    await page.screenshot({ path: path.join(out, 'bench-7day.png') });
    // the same page opened again: the server's caches are warm now
    const again = await ctx.newPage();
    watch(again, 'bench-warm');
    results.bench.warm = await openViewer(again, env.BENCH_URL);
    results.bench.warm.timing = await again.evaluate(() => window.ecgViewer.timing);
  } else {
    // ---- reviewer
    const page = await ctx.newPage();
    watch(page, 'review');
    results.open = await openViewer(page, env.VIEWER_URL);
    results.url_after_open = page.url();
    results.stored_token = await page.evaluate((id) => (sessionStorage.getItem(`ecg.auth.${id}`) || '').slice(0, 3), env.TASK_ID);
    results.mode = await page.$eval('#mode', (e) => e.textContent);
    results.beats_before = await stat(page, 'Beats');
    results.v_before = await stat(page, 'V');
    await page.screenshot({ path: path.join(out, '01-opened.png') });

    // select the first beat (".") and relabel it V
    await page.focus('#ecg');
    await page.waitForFunction(() => window.ecgViewer.beats && window.ecgViewer.beats.sample.length > 3);
    await page.keyboard.press('.');
    await page.keyboard.press('.');
    await page.waitForFunction(() => document.getElementById('beat-info').dataset.sample);
    results.relabelled_sample = Number(await page.getAttribute('#beat-info', 'data-sample'));
    await page.keyboard.press('v');
    results.relabel_message = await waitMessage(page, /relabelled V/);
    results.v_after = await stat(page, 'V');

    // the next beat: delete it
    await page.waitForFunction(() => window.ecgViewer.beats !== null);
    await page.keyboard.press('.');
    await page.waitForFunction((s) => Number(document.getElementById('beat-info').dataset.sample) > s, results.relabelled_sample);
    results.deleted_sample = Number(await page.getAttribute('#beat-info', 'data-sample'));
    await page.keyboard.press('Delete');
    results.delete_message = await waitMessage(page, /beat deleted/);
    results.beats_after_delete = await stat(page, 'Beats');

    // undo the delete, then redo it
    await page.keyboard.press('Control+z');
    await waitMessage(page, /undo done/);
    results.beats_after_undo = await stat(page, 'Beats');
    await page.keyboard.press('Control+y');
    await waitMessage(page, /redo done/);
    results.beats_after_redo = await stat(page, 'Beats');

    // lead selection: hiding a lead removes its row (and the next window has one lead less)
    const ecgHeight = () => page.$eval('#ecg', (c) => c.getBoundingClientRect().height);
    results.leads_shown = await page.evaluate(() => window.ecgViewer.leads.slice());
    results.ecg_height_all = await ecgHeight();
    const boxes = await page.$$('#leads input[type=checkbox]');
    await boxes[1].uncheck();
    await page.waitForFunction((n) => window.ecgViewer.win && window.ecgViewer.win.leads.length === n - 1,
      results.leads_shown.length);
    results.leads_after_uncheck = await page.evaluate(() => window.ecgViewer.win.leads.map((l) => l.label));
    results.ecg_height_fewer = await ecgHeight();
    await boxes[1].check();
    await page.waitForFunction((n) => window.ecgViewer.win && window.ecgViewer.win.leads.length === n,
      results.leads_shown.length);

    // the ECG grid at true scale: 1 mm = 96/25.4 CSS px, 25 mm/s, 10 mm/mV
    results.scale = await page.evaluate(() => {
      const S = window.ecgViewer, mm = 96 / 25.4 * S.zoom;
      const w = document.getElementById('ecg').getBoundingClientRect().width;
      const [a, b] = document.getElementById('view-time').textContent.split(' of ')[0].split(' – ');
      const sec = (t) => t.split(':').reduce((acc, p) => acc * 60 + Number(p), 0);
      return { speed: S.speed, gain: S.gain, trace_px: w - 14 * mm, seconds_shown: sec(b) - sec(a), mm_px: mm };
    });

    // overview: a click jumps there (and the window there is fetched)
    const ov = await page.locator('#overview').boundingBox();
    await page.mouse.click(ov.x + ov.width * 0.5, ov.y + ov.height / 2);
    await page.waitForFunction(() => {
      const S = window.ecgViewer;
      return S.win && S.win.start <= S.t0 + 1e-6 && S.win.end >= S.t0 + 1 && S.t0 > 0;
    });
    results.overview_jump = await page.evaluate(() => ({ t0: window.ecgViewer.t0, cursor: window.ecgViewer.cursor, duration: window.ecgViewer.duration }));

    // events: ] goes to the next event after the cursor and marks it in the list
    await page.focus('#ecg');
    await page.keyboard.press(']');
    await page.waitForSelector('#events li.current');
    results.event_next = await page.evaluate(() => {
      const S = window.ecgViewer, e = S.events[S.eventIdx];
      return { index: S.eventIdx, t: e.t, t0: S.t0, label: document.querySelector('#events li.current').textContent };
    });
    await page.keyboard.press('[');
    results.event_prev_index = await page.evaluate(() => window.ecgViewer.eventIdx);
    await page.keyboard.press('Home');

    // add a beat: click the trace in the middle of a long RR interval (sets the cursor), A
    await page.waitForFunction(() => {
      const S = window.ecgViewer, b = S.beats;
      return S.t0 === 0 && b && b.start <= S.t0 && b.end >= S.t0 + 8 && b.sample.length > 3;
    });
    const gap = await page.evaluate(() => {
      const S = window.ecgViewer, b = S.beats, mm = 96 / 25.4 * S.zoom;
      const r = document.getElementById('ecg').getBoundingClientRect();
      for (let i = 1; i < b.sample.length; i++) {
        const a = b.sample[i - 1] / b.fs, c = b.sample[i] / b.fs, t = (a + c) / 2;
        if (c - a > 0.5 && t > S.t0 + 0.5 && t < S.t0 + 8) {
          return { t, x: r.left + 14 * mm + (t - S.t0) * mm * S.speed, y: r.top + r.height / 2 };
        }
      }
      return null;
    });
    results.add_at = gap && gap.t;
    await page.mouse.click(gap.x, gap.y);
    await page.keyboard.press('a');
    results.add_message = await waitMessage(page, /beat added/);
    results.beats_after_add = await stat(page, 'Beats');
    await page.waitForFunction(() => document.getElementById('beat-info').dataset.sample &&
      window.ecgViewer.beats && window.ecgViewer.beats.sample.includes(window.ecgViewer.selected));
    results.added_sample = Number(await page.getAttribute('#beat-info', 'data-sample'));
    results.beats_fs = await page.evaluate(() => window.ecgViewer.beats.fs);
    await page.keyboard.press('Control+z');
    await waitMessage(page, /undo done \(version 7\)/);
    results.beats_after_add_undo = await stat(page, 'Beats');

    // relabel a whole template: select a beat, Shift+S; every beat of its template becomes S
    await page.waitForFunction(() => window.ecgViewer.beats !== null);
    await page.keyboard.press('.');
    await page.waitForFunction(() => document.getElementById('beat-info').dataset.sample);
    const tpl = await page.evaluate(() => {
      const S = window.ecgViewer, i = S.beats.sample.indexOf(S.selected), id = S.beats.template[i];
      const t = S.ov.templates.find((x) => x.id === id);
      return { id, count: t.count, class: t.class };
    });
    results.template = tpl;
    results.s_before_template = await stat(page, 'S');
    await page.keyboard.press('Shift+S');
    results.template_message = await waitMessage(page, /template \d+ relabelled S/);
    results.s_after_template = await stat(page, 'S');
    await page.waitForFunction(() => window.ecgViewer.beats !== null);
    results.template_after = await page.evaluate((id) => {
      const S = window.ecgViewer, t = S.ov.templates.find((x) => x.id === id);
      const shown = [...S.beats.class].filter((c, i) => S.beats.template[i] === id);
      return { class: t.class, count: t.count, shown_classes: [...new Set(shown)] };
    }, tpl.id);
    await page.keyboard.press('Control+z');
    await waitMessage(page, /undo done \(version 9\)/);
    results.s_after_template_undo = await stat(page, 'S');

    // an AF episode from the form: AF burden follows, then undo
    await page.fill('#ep-start', '10');
    await page.fill('#ep-end', '40');
    await page.click('#ep-save');
    results.episode_message = await waitMessage(page, /episode added/);
    results.af_burden_after_episode = await stat(page, 'AF');
    results.episodes_listed = await page.$$eval('#episodes li', (l) => l.map((x) => x.firstChild.textContent.trim()));
    await page.screenshot({ path: path.join(out, '02a-episode.png') });
    await page.click('#undo');
    await waitMessage(page, /undo done \(version 11\)/);
    results.af_burden_after_undo = await stat(page, 'AF');

    // pan and zoom keep drawing
    // (one key at a time: redraws of the same animation frame are coalesced)
    const t0BeforePan = await page.evaluate(() => window.ecgViewer.t0);
    for (const key of ['ArrowRight', '-', '+']) {
      const r0 = await page.evaluate(() => window.ecgViewer.renders);
      await page.keyboard.press(key);
      await page.waitForFunction((r) => window.ecgViewer.renders > r, r0);
      if (key === 'ArrowRight') results.pan_moved_s = await page.evaluate((t) => window.ecgViewer.t0 - t, t0BeforePan);
      if (key === '-') results.speed_after_minus = await page.evaluate(() => window.ecgViewer.speed);
    }
    // A render started by a window fetched after '-' may be the one counted above; wait
    // until the time bar shows the speed the viewer now has.
    await page.waitForFunction(() =>
      document.getElementById('view-time').textContent.includes(`${window.ecgViewer.speed} mm/s`));
    results.view_after_pan = await page.$eval('#view-time', (e) => e.textContent);

    // conclusion and statements
    await page.fill('#statements', 'Sinus rhythm\nOne ventricular ectopic beat');
    await page.click('#save-statements');
    await waitMessage(page, /statements saved/);
    await page.fill('#conclusion', env.CONCLUSION);
    await page.click('#save-conclusion');
    results.conclusion_message = await waitMessage(page, /conclusion saved/);
    await page.screenshot({ path: path.join(out, '02-edited.png') });

    // approve, then download the final PDF
    await page.click('#approve');
    await page.fill('#approve-name', env.REVIEWER);
    await page.click('#approve-confirm');
    await page.waitForSelector('#pdf:not([hidden])', { timeout: 180000 });
    results.status_after_approve = await page.$eval('#status', (e) => e.textContent);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#pdf')]);
    const pdfPath = path.join(out, 'report.pdf');
    await download.saveAs(pdfPath);
    results.pdf = pdfPath;
    results.edit_controls_after_approve = await page.isVisible('#save-conclusion');
    await page.screenshot({ path: path.join(out, '03-approved.png') });

    // ---- share link: shows everything, edits nothing
    const share = await ctx.newPage();
    watch(share, 'share');
    const posts = [];
    share.on('request', (r) => { if (r.method() !== 'GET') posts.push(`${r.method()} ${r.url()}`); });
    results.share_open = await openViewer(share, env.SHARE_URL);
    results.share_mode = await share.$eval('#mode', (e) => e.textContent);
    results.share_beats = await stat(share, 'Beats');
    results.share_v = await stat(share, 'V');
    results.share_conclusion = await share.$eval('#conclusion', (e) => e.value);
    results.share_text_read_only = await share.evaluate(() =>
      ['statements', 'conclusion'].map((id) => document.getElementById(id).readOnly));
    results.share_visible_edit_controls = [];
    for (const sel of ['#approve', '#save-conclusion', '#save-statements', '#delete-beat', '#undo', '#ep-save']) {
      if (await share.isVisible(sel)) results.share_visible_edit_controls.push(sel);
    }
    await share.focus('#ecg');
    await share.waitForFunction(() => window.ecgViewer.beats && window.ecgViewer.beats.sample.length > 3);
    await share.keyboard.press('.');
    await share.keyboard.press('v');
    await share.keyboard.press('Delete');
    await share.waitForTimeout(500);
    results.share_non_get_requests = [...posts];
    // the API itself refuses edits made with the share token (these failures are expected)
    const expectedErrors = results.page_errors.length;
    results.share_beats_after_keys = await stat(share, 'Beats');
    results.share_api_status = await share.evaluate(async ([token, taskId]) => {
      const body = JSON.stringify({ edit: { op: 'set_conclusion', conclusion: 'changed through the share link' } });
      const h = { 'Content-Type': 'application/json' };
      const a = await fetch(`/api/v1/shared/${token}/edits`, { method: 'POST', headers: h, body });
      const b = await fetch(`/api/v1/tasks/${taskId}/edits`, { method: 'POST', headers: { ...h, Authorization: `Bearer ${token}` }, body });
      const c = await fetch(`/api/v1/tasks/${taskId}/result`, { method: 'PATCH', headers: h, body: '{"conclusion":"x"}' });
      return { shared_edits: a.status, token_as_bearer: b.status, patch_without_key: c.status };
    }, [env.SHARE_TOKEN, env.TASK_ID]);
    await share.waitForTimeout(300);
    results.page_errors.splice(expectedErrors);
    await share.screenshot({ path: path.join(out, '04-share.png') });

    // ---- paged event list: an overview that lists 1 episode (max_episodes=1) is truncated,
    // so the event list reads the episodes from the API, 1 per page (events_page=1)
    if (env.PAGED_URL) {
      const pg = await ctx.newPage();
      watch(pg, 'paged');
      results.paged_open = await openViewer(pg, env.PAGED_URL);
      const pagedState = () => pg.evaluate(() => {
        const S = window.ecgViewer;
        return {
          total: S.evp && S.evp.total, kind: S.evp && S.evp.kind, loaded: S.events.map((e) => e.abs),
          ov_listed: S.ov.episodes.length, ov_total: S.ov.episodes_total,
          current: S.eventIdx >= 0 ? { abs: S.events[S.eventIdx].abs, t: S.events[S.eventIdx].t } : null,
          cursor: S.cursor, t0: S.t0,
          current_li: (document.querySelector('#events li.current') || {}).dataset || null,
        };
      });
      await pg.waitForFunction(() => window.ecgViewer.evp && window.ecgViewer.evp.total != null &&
        window.ecgViewer.events.length > 0);
      const paged = { first: await pagedState() };
      paged.kind_visible = await pg.isVisible('#event-kind');
      // the row after the first page loads the next page
      await pg.click('#events li[data-testid="events-more"]');
      await pg.waitForFunction(() => window.ecgViewer.events.some((e) => e.abs === 1));
      paged.after_more = await pagedState();
      // the episode of the second page: click it, the view goes there
      await pg.click('#events li[data-abs="1"]');
      await pg.waitForFunction(() => window.ecgViewer.eventIdx >= 0 &&
        window.ecgViewer.events[window.ecgViewer.eventIdx].abs === 1);
      paged.clicked = await pagedState();
      // [ from a cursor late in the recording: the previous event, wherever it is (the pages
      // around it are loaded with ?seek=)
      const box = await pg.locator('#overview').boundingBox();
      await pg.mouse.click(box.x + box.width * 0.95, box.y + box.height / 2);
      await pg.waitForFunction(() => window.ecgViewer.cursor > window.ecgViewer.duration * 0.9);
      paged.cursor_late = await pg.evaluate(() => window.ecgViewer.cursor);
      await pg.focus('#ecg');
      await pg.keyboard.press('[');
      await pg.waitForFunction((c) => window.ecgViewer.eventIdx >= 0 && window.ecgViewer.cursor < c, paged.cursor_late);
      paged.prev_from_late = await pagedState();
      // one kind: the list restarts with that kind's episodes
      const kinds = await pg.$$eval('#event-kind option', (o) => o.map((x) => x.value).filter(Boolean));
      paged.kinds = kinds;
      await pg.selectOption('#event-kind', kinds[0]);
      await pg.waitForFunction((k) => window.ecgViewer.evp.kind === k && window.ecgViewer.evp.total != null &&
        window.ecgViewer.events.length > 0, kinds[0]);
      paged.one_kind = await pagedState();
      await pg.screenshot({ path: path.join(out, '04b-paged-events.png') });
      results.paged = paged;
    }

    // ---- resting 12-lead layout
    if (env.RESTING_URL) {
      const rest = await ctx.newPage();
      watch(rest, 'resting');
      results.resting_open = await openViewer(rest, env.RESTING_URL);
      results.resting_layout_visible = await rest.isVisible('#layout');
      results.resting_leads = await rest.evaluate(() => window.ecgViewer.win.leads.map((l) => l.label));
      results.resting_canvas_height = await rest.$eval('#ecg', (c) => c.getBoundingClientRect().height);
      await rest.screenshot({ path: path.join(out, '05-resting-3x4.png') });
      const heights = {};
      for (const lay of ['6x2', '12x1', '3x4+1']) {
        const r0 = await rest.evaluate(() => window.ecgViewer.renders);
        await rest.selectOption('#layout', lay);
        await rest.waitForFunction((r) => window.ecgViewer.renders > r, r0);
        heights[lay] = await rest.$eval('#ecg', (c) => c.getBoundingClientRect().height);
        if (lay === '6x2') results.rhythm_visible_6x2 = await rest.isVisible('#rhythm');
        if (lay !== '3x4+1') await rest.screenshot({ path: path.join(out, `06-resting-${lay}.png`) });
      }
      results.resting_layout_heights = heights;

      // the rhythm strip's lead: II by default; V5 chosen, drawn, and kept in the address
      // (a reload opens with it)
      const strip = () => rest.evaluate(() => {
        const S = window.ecgViewer, c = document.getElementById('ecg'), dpr = window.devicePixelRatio || 1;
        const mm = 96 / 25.4 * S.zoom, band = 6 * mm, rowH = Math.max(12, S.gain * 2.6) * mm;
        // the rhythm strip is the last row (3x4+1: three rows of leads, then the strip)
        const rows = Math.round((c.getBoundingClientRect().height - band - 2 * mm) / rowH);
        const x0 = Math.round(24 * mm * dpr), y0 = Math.round((band + (rows - 1) * rowH) * dpr);
        const img = c.getContext('2d').getImageData(x0, y0, c.width - x0, Math.round(rowH * dpr)).data;
        // the trace is near-black (the grid is pink): a checksum of where the dark pixels are
        let dark = 0, sum = 0;
        for (let i = 0; i < img.length; i += 4) {
          if (img[i] < 90 && img[i + 1] < 90 && img[i + 2] < 90) { dark++; sum = (sum + i * 7 + 1) % 1000000007; }
        }
        return { drawn: S.rhythmDrawn, lead: S.rhythm, dark, sum, search: location.search };
      });
      results.rhythm_visible = await rest.isVisible('#rhythm');
      results.rhythm_options = await rest.$$eval('#rhythm option', (o) => o.map((x) => x.value));
      results.rhythm_default = await rest.$eval('#rhythm', (e) => e.value);
      await rest.waitForFunction(() => window.ecgViewer.rhythmDrawn === 'II');
      results.rhythm_before = await strip();
      const r1 = await rest.evaluate(() => window.ecgViewer.renders);
      await rest.selectOption('#rhythm', 'V5');
      await rest.waitForFunction((r) => window.ecgViewer.renders > r && window.ecgViewer.rhythmDrawn === 'V5', r1);
      results.rhythm_after = await strip();
      await rest.screenshot({ path: path.join(out, '07-resting-rhythm-V5.png') });
      await rest.reload();
      await rest.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
      await rest.waitForFunction(() => window.ecgViewer.rhythmDrawn === 'V5');
      results.rhythm_after_reload = { select: await rest.$eval('#rhythm', (e) => e.value), ...(await strip()) };
    }
  }
} finally {
  await ctx.close();
  fs.rmSync(userData, { recursive: true, force: true });
}
console.log(JSON.stringify(results));

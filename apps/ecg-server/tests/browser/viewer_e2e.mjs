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
    // a jump to the middle of the recording (overview click) and the next window
    const box = await page.locator('#overview').boundingBox();
    const t = Date.now();
    const before = await page.evaluate(() => window.ecgViewer.fetchSeq);
    await page.mouse.click(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.waitForFunction((b) => window.ecgViewer.fetchSeq > b && !window.ecgViewer.fetching, before, { timeout: 30000 });
    results.bench.jump_ms = Date.now() - t;
    results.bench.view = await page.$eval('#view-time', (e) => e.textContent);
    await page.screenshot({ path: path.join(out, 'bench-7day.png') });
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

    // pan and zoom keep drawing
    const r0 = await page.evaluate(() => window.ecgViewer.renders);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('-');
    await page.keyboard.press('+');
    await page.waitForFunction((r) => window.ecgViewer.renders > r + 1, r0);
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

    // ---- resting 12-lead layout
    if (env.RESTING_URL) {
      const rest = await ctx.newPage();
      watch(rest, 'resting');
      results.resting_open = await openViewer(rest, env.RESTING_URL);
      results.resting_layout_visible = await rest.isVisible('#layout');
      results.resting_leads = await rest.evaluate(() => window.ecgViewer.win.leads.map((l) => l.label));
      results.resting_canvas_height = await rest.$eval('#ecg', (c) => c.getBoundingClientRect().height);
      await rest.screenshot({ path: path.join(out, '05-resting-3x4.png') });
      await rest.selectOption('#layout', '6x2');
      await rest.waitForTimeout(300);
      await rest.screenshot({ path: path.join(out, '06-resting-6x2.png') });
    }
  }
} finally {
  await ctx.close();
  fs.rmSync(userData, { recursive: true, force: true });
}
console.log(JSON.stringify(results));

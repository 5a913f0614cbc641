// The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core,
// against a real `dvs serve` this script starts (and restarts) on a ledger the caller made by
// running the seed scenario with the real dvs binary (tests/dashboard/dashboard_test.cc).
//
//   node dashboard.test.mjs CONFIG_JSON
//   CONFIG_JSON: {"dvs", "ledger", "port", "controllerKey", "adminKey", "observerKey",
//                 "artifacts", "stable", "rolledBack", "canary", "chromium"}
//
// Any console error or uncaught page error fails the run; so does any check below. Exit 0: all
// passed. A screenshot of the page is written to ARTIFACTS/dashboard.png.
import {spawn, execFileSync} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import {chromium} from 'playwright-core';

const cfg = JSON.parse(process.argv[2]);
const url = `http://127.0.0.1:${cfg.port}`;
// The "within a second", measured from when the command that appended returned.
const LIVE_MS = Number(process.env.DVS_DASHBOARD_LIVE_MS ?? 1000);
const HOSTILE = '<img src=x onerror="window.__pwned=1"> & </td><script>window.__pwned=2</script>';

let server = null;
let browser = null;
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(cfg.dvs, ['serve', '--listen', `127.0.0.1:${cfg.port}`, '--tick', '100ms',
      '--controller-key', cfg.controllerKey], {env: {...process.env, DVS_LEDGER: cfg.ledger},
      stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n') && out.includes('http://')) resolve(child);
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => reject(new Error(`dvs serve exited ${code}: ${err}`)));
  });
}

async function stopServer() {
  server.removeAllListeners('exit');  // startServer's: a stop asked for is no failure
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
  server = null;
}

function dvs(...args) {
  return execFileSync(cfg.dvs, ['--server', url, ...args], {encoding: 'utf8',
    env: {...process.env, DVS_LEDGER: cfg.ledger}});
}

async function api(path) {
  const res = await fetch(url + path);
  return res.json();
}

async function main() {
  server = await startServer();
  browser = await chromium.launch({executablePath: cfg.chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
  const page = await browser.newPage({viewport: {width: 1280, height: 1000}});
  page.setDefaultTimeout(10000);
  let restarting = false;
  let badFilter = false;
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // While the server is down the event stream's reconnects are refused, and a bad filter is
    // answered 400, an unknown name 404 (the browser logs each): expected then only.
    if (restarting && /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/.test(msg.text())) return;
    if (badFilter && /status of 40[04]/.test(msg.text())) return;
    errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  let requests = 0;
  page.on('request', (r) => {
    requests++;
    if (!r.url().startsWith(url)) errors.push(`external request: ${r.url()}`);
  });

  // ---- the page and its headers ----
  const res = await page.goto(url + '/', {waitUntil: 'load'});
  const csp = res.headers()['content-security-policy'] ?? '';
  check(res.status() === 200, `GET / answers 200 (${res.status()})`);
  check(/default-src 'none'/.test(csp) && /script-src 'self'/.test(csp) &&
    /connect-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), `strict CSP: ${csp}`);
  check(res.headers()['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
  check(/^text\/html/.test(res.headers()['content-type']), 'GET / is text/html');

  // ---- overview: the right weights ----
  await page.waitForSelector(`[data-service="tax_calc"] .seg[data-bundle="${cfg.canary}"]`);
  const weights = await page.$$eval('[data-service="tax_calc"] .seg',
    (segs) => Object.fromEntries(segs.map((s) => [s.dataset.bundle, Number(s.dataset.weight)])));
  const routes = (await api('/v1/routes')).services.tax_calc;
  const expected = Object.fromEntries(routes.map((r) => [r.bundle, r.weight]));
  check(JSON.stringify(weights) === JSON.stringify(expected),
    `overview weights ${JSON.stringify(weights)} are the routing table's`);
  check(weights[cfg.canary] === 5 && weights[cfg.stable] === 95, 'canary 5 %, stable 95 %');
  // Every segment's share of the bar is its weight, once layout has settled (the bar animates
  // width changes; a render racing the measurement is waited out, not failed).
  const drawn = await page.waitForFunction((sel) => {
    const segs = [...document.querySelectorAll(sel)];
    const widths = segs.map((s) => s.getBoundingClientRect().width);
    const bar = segs[0]?.parentElement.getBoundingClientRect().width ?? 0;
    return bar > 0 && segs.every((s, i) => Math.abs(widths[i] / bar - s.dataset.weight / 100) < 0.02);
  }, '[data-service="tax_calc"] .seg', {timeout: 3000}).then(() => true, () => false);
  const barWidths = await page.$$eval('[data-service="tax_calc"] .seg',
    (segs) => segs.map((s) => `${s.dataset.weight} %: ${Math.round(s.getBoundingClientRect().width)} px`)
      .concat(`bar ${Math.round(segs[0]?.parentElement.getBoundingClientRect().width ?? 0)} px`));
  check(drawn, `bar segments are drawn in proportion to the weights (${barWidths.join(', ')})`);

  // ---- the ramp chart: one point per step, a rollback marker naming the reason ----
  const stableRows = (await api(`/v1/audit?bundle=${cfg.stable}`)).entries;
  const steps = stableRows.filter((r) => r.type === 'deploy' ||
    (['ramp', 'promote', 'rollback', 'pause', 'resume', 'retire'].includes(r.type) &&
     r.weight_before !== r.weight_after));
  const points = Number(await page.getAttribute(
    `.weight-chart[data-bundle="${cfg.stable}"]`, 'data-points'));
  check(points === steps.length && points >= 6,
    `${cfg.stable}'s chart has one point per ramp step (${points} of ${steps.length})`);
  check(await page.$(`.weight-chart[data-bundle="${cfg.stable}"] canvas`) !== null,
    'the chart is drawn (uPlot canvas)');
  const metricCharts = await page.$$eval(`.rollout[data-bundle="${cfg.rolledBack}"] .metric-chart`,
    (c) => c.map((x) => x.dataset.metric));
  check(metricCharts.includes('latency_ms') && metricCharts.includes('error_rate'),
    `each metric has a chart (${metricCharts})`);
  const thresholdLegend = await page.textContent(
    `.rollout[data-bundle="${cfg.rolledBack}"] .metric-chart[data-metric="latency_ms"]`);
  check(/rollback: latency_ms > 400/.test(thresholdLegend) && /promote: latency_ms < 200/.test(thresholdLegend),
    'latency_ms is drawn against its promote and rollback thresholds');
  const rollback = (await api(`/v1/audit?bundle=${cfg.rolledBack}&type=rollback`)).entries[0];
  const marker = `.rollout[data-bundle="${cfg.rolledBack}"] .marker-rollback`;
  await page.$eval(marker, (m) => m.scrollIntoView({block: 'center'}));
  await page.hover(marker);
  await page.waitForSelector('#tooltip:not([hidden])');
  const tip = await page.textContent('#tooltip');
  check(tip.includes(rollback.detail) && tip.includes('controller') &&
    tip.includes(`evidence: seq ${rollback.evidence.map((e) => e.seq).join(', ')}`),
    `the rollback marker's tooltip names the reason, signer and evidence: ${tip}`);
  // A screenshot during the seed scenario: a live canary, the 9.0 ramp, the 9.1 rollback's tooltip.
  mkdirSync(cfg.artifacts, {recursive: true});
  await page.screenshot({path: `${cfg.artifacts}/dashboard.png`, fullPage: true});
  console.log(`screenshot: ${cfg.artifacts}/dashboard.png`);

  // ---- head, checkpoint, trail ----
  const head = await api('/v1/head');
  check(await page.textContent('#head-entries') === String(head.entries), 'the head is shown');
  check(/checkpoint seq \d+ .*verified/.test(await page.textContent('#head')),
    'the latest checkpoint is shown, verified');
  const firstRow = await page.$eval('#trail tbody tr', (tr) => ({seq: tr.dataset.seq,
    proof: tr.querySelector('a').getAttribute('href'), key: tr.querySelector('a.signer').getAttribute('href')}));
  check(firstRow.seq === String(head.entries - 1) &&
    firstRow.proof === `/v1/proof/inclusion/${head.entries - 1}` && firstRow.key === '/v1/keys',
    `the trail starts at the head and links its proof and key (${JSON.stringify(firstRow)})`);
  const proof = await api(firstRow.proof);
  check(proof.leafIdx === head.entries - 1 && proof.treeSize === head.entries && proof.root,
    'the proof link answers the inclusion proof');
  await page.selectOption('#filters select[name="type"]', 'rollback');
  await page.waitForFunction(() => [...document.querySelectorAll('#trail tbody tr')]
    .every((tr) => tr.dataset.type === 'rollback'));
  check(await page.$$eval('#trail tbody tr', (t) => t.length) === 1, 'the type filter narrows the trail');
  badFilter = true;
  await page.fill('#filters [name="since"]', 'yesterday');
  await page.waitForFunction(() => document.getElementById('trail-error').textContent !== '');
  check(/since/.test(await page.textContent('#trail-error')), 'a bad filter shows the server\'s reason');
  await page.fill('#filters [name="since"]', '');
  await page.waitForFunction(() => document.getElementById('trail-error').textContent === '');
  await page.fill('#filters [name="service"]', 'tax_clac');
  await page.waitForFunction(() => /no service 'tax_clac'/.test(document.getElementById('trail-error').textContent));
  check(await page.$$eval('#trail tbody tr', (t) => t.length) === 0,
    'a service the ledger never held is named as such, and no rows of the last filter stay');
  await page.fill('#filters [name="service"]', '');
  await page.waitForFunction(() => document.getElementById('trail-error').textContent === '' &&
    document.querySelectorAll('#trail tbody tr').length === 1);
  badFilter = false;
  await page.selectOption('#filters select[name="type"]', '');

  // ---- live: a rollback through the API, with a hostile reason ----
  dvs('rollback', cfg.canary, '--reason', HOSTILE, '--key', cfg.adminKey);
  const t0 = Date.now();
  const seen = await page.waitForFunction((b) => {
    const seg = document.querySelector(`[data-service="tax_calc"] .seg[data-bundle="${b}"]`);
    const d = document.querySelector('[data-service="tax_calc"] .decision');
    return !seg && d && d.textContent.includes(`rollback of ${b}`);
  }, cfg.canary, {timeout: LIVE_MS}).then(() => true, () => false);
  const ms = Date.now() - t0;
  check(seen, `the rollback appears on the open page within ${LIVE_MS} ms (${ms} ms)`);
  const decision = await page.textContent('[data-service="tax_calc"] .decision');
  check(decision.includes(HOSTILE), 'the hostile reason shows as text');
  check(await page.$('img') === null && await page.evaluate(() => window.__pwned) === undefined,
    'the hostile reason made no element and ran nothing');

  // ---- the server restarts: the page reconnects and resumes ----
  restarting = true;
  await stopServer();
  await page.waitForFunction(() => !document.getElementById('live').classList.contains('live-live'));
  server = await startServer();
  await page.waitForFunction(() => document.getElementById('live').classList.contains('live-live'),
    null, {timeout: 10000});
  restarting = false;
  dvs('observe', cfg.stable, '--metric', 'error_rate=0.01', '--metric', 'latency_ms=100',
    '--samples', '500', '--key', cfg.observerKey);
  const after = (await api('/healthz')).entries;
  const resumed = await page.waitForFunction((n) =>
    document.getElementById('head-entries')?.textContent === String(n), after,
  {timeout: LIVE_MS}).then(() => true, () => false);
  check(resumed, `after a server restart the page resumes (head ${after} within ${LIVE_MS} ms)`);

  console.log(`${requests} requests`);
  check(errors.length === 0, `no console or page errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
}

// A hung step must not leave a browser and a server behind: give up after a minute.
const watchdog = setTimeout(async () => {
  console.log('FAIL the run took more than 60 s');
  if (server) server.kill('SIGKILL');
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}, 60000);
try {
  await main();
} catch (e) {
  failures.push(e.stack ?? String(e));
  console.log(`FAIL ${e.stack ?? e}`);
} finally {
  if (browser) await browser.close();
  if (server) server.kill('SIGKILL');
  clearTimeout(watchdog);
}
process.exit(failures.length ? 1 : 0);

// The dashboard's page load, measured in Debian's chromium (headless, playwright-core) against a
// real `dvs serve` on each ledger given: the time from navigation to the first full render (the
// overview, the charts and the trail drawn: the page marks 'dvs-first-render') and the bytes
// transferred (the page, its assets and every API answer it read). Run by `tools/run bench`:
//
//   node page_load.mjs DVS_BINARY CHROMIUM NAME=DIR [NAME=DIR...]
//
// Each DIR holds `ledger/` and `all.key` (tools/dashboard_bench.cc). Five loads per ledger, each
// in a fresh browser context (no cache); the median is reported, and the ratio of each ledger's
// to the first one's (its peer in the same run).
import {spawn} from 'node:child_process';
import {createServer} from 'node:net';
import {chromium} from 'playwright-core';

const [dvs, chromiumPath, ...ledgers] = process.argv.slice(2);
// A loopback port that was free a moment ago (the server binds it right away).
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
const LOADS = 5;

function serve(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(dvs, ['serve', '--listen', `127.0.0.1:${port}`, '--tick', '1s',
      '--controller-key', `${dir}/all.key`], {env: {...process.env, DVS_LEDGER: `${dir}/ledger`},
      stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n') && out.includes('http://')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`dvs serve exited ${code}`)));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const browser = await chromium.launch({executablePath: chromiumPath, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']});
const results = [];
for (const arg of ledgers) {
  const [name, dir] = arg.split('=');
  const server = await serve(dir);
  const entries = (await (await fetch(`${url}/healthz`)).json()).entries;
  const times = [];
  const bytes = [];
  let requests = 0;
  for (let i = 0; i < LOADS; ++i) {
    const context = await browser.newContext({viewport: {width: 1280, height: 1000}});
    const page = await context.newPage();
    let n = 0;
    page.on('request', () => n++);
    await page.goto(`${url}/`);
    await page.waitForFunction(() => performance.getEntriesByName('dvs-first-render').length > 0,
      null, {timeout: 60000});
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource');
      return {
        render: performance.getEntriesByName('dvs-first-render')[0].startTime,
        // Bytes on the wire: headers and bodies of the page and of everything it fetched (the
        // event stream's open connection is left out: it carries only what arrives later).
        bytes: nav.transferSize + resources.filter((r) => !r.name.includes('/v1/events'))
          .reduce((a, r) => a + r.transferSize, 0),
      };
    });
    times.push(m.render);
    bytes.push(m.bytes);
    requests = n;
    await context.close();
  }
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  results.push({name, entries, ms: median(times), bytes: median(bytes), requests});
}
await browser.close();
const peer = results[0];
console.log('dashboard page load (median of 5, fresh browser context each, chromium headless)');
for (const r of results) {
  console.log(`  ${r.name.padEnd(8)} ${String(r.entries).padStart(7)} entries: first render ` +
    `${r.ms.toFixed(0)} ms (${(r.ms / peer.ms).toFixed(2)} x ${peer.name}), ` +
    `${(r.bytes / 1024).toFixed(1)} KiB in ${r.requests} requests ` +
    `(${(r.bytes / peer.bytes).toFixed(2)} x ${peer.name})`);
}

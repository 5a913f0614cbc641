// The dashboard: reads /v1/ JSON, draws, and redraws within a second of every new entry, woken
// by the server's event stream (/v1/events). Read-only: it sends nothing but GETs.
import {el, fill, enc, shortHash, clock} from './dom.js';
import {getJson, DECISIONS, EVENT_NAMES} from './api.js';
import {renderServices} from './overview.js';
import {renderRollout, parseCondition} from './charts.js';
import {renderTrail} from './trail.js';

const ROLLOUTS_PER_SERVICE = 3;
const $ = (id) => document.getElementById(id);

const drawn = new Map();  // bundle -> {key, plots, box}: a rollout is redrawn only when it changed
let lastSeq = -1;         // the last entry the page has seen an event for

// Entries a rollout's chart reads at most, from its deploy on.
const ROLLOUT_ROWS = 500;
// The kinds of entry that end a ramp: what follows is no longer the rollout's.
const ENDS = new Set(['promote', 'rollback', 'retire']);

async function loadService(name, routes) {
  const deploys = await getJson(`/v1/audit?service=${enc(name)}&type=deploy&last=${ROLLOUTS_PER_SERVICE}`);
  const rollouts = await Promise.all(deploys.entries.reverse().map(async (deploy) => {
    // From the deploy on, oldest first, answered from the bundle's index: a bundle observed for
    // months after its ramp costs no more than its ramp.
    const [status, audit] = await Promise.all([getJson(`/v1/status/${enc(deploy.bundle)}`),
      getJson(`/v1/audit?bundle=${enc(deploy.bundle)}&since=${enc(deploy.time)}&first=${ROLLOUT_ROWS}`)]);
    const rows = [];
    for (const row of audit.entries) {
      if (row.seq < deploy.seq) continue;
      rows.push(row);
      if (endsRamp(row)) break;
    }
    return {bundle: deploy.bundle, status, rows, deploy, baseline: null};
  }));
  // The last decision of each kind, one record each from the service+type index.
  const latest = await Promise.all([...DECISIONS].map((type) =>
    getJson(`/v1/audit?service=${enc(name)}&type=${type}&last=1`)));
  let lastDecision = null;
  for (const answer of latest) {
    const row = answer.entries[0];
    if (row && (!lastDecision || row.seq > lastDecision.seq)) lastDecision = row;
  }
  await Promise.all(rollouts.map(loadBaseline));
  const statuses = {};
  for (const r of rollouts) statuses[r.bundle] = r.status;
  return {name, routes, statuses, lastDecision, rollouts};
}

// A rollback, a retirement, or the promotion that made the bundle stable (at 100 %; a manual
// promotion by one step goes on ramping).
function endsRamp(row) {
  return ENDS.has(row.type) && (row.type !== 'promote' || row.weight_after === 100);
}

// When a condition compares with the baseline: the observations of the bundle that was stable
// when this one was deployed (from the state as of the deploy).
async function loadBaseline(rollout) {
  const conditions = [...(rollout.status.promote_when ?? []), ...(rollout.status.rollback_when ?? [])];
  if (!rollout.deploy || !conditions.some((c) => parseCondition(c)?.factor !== undefined)) return;
  const state = await getJson(`/v1/state?at=${rollout.deploy.seq}`);
  const stable = (state.bundles ?? []).find((b) => b.service === rollout.status.service &&
    b.state === 'stable' && b.bundle !== rollout.bundle);
  if (!stable) return;
  const end = rollout.rows.at(-1)?.time ?? rollout.deploy.time;
  const obs = await getJson(`/v1/audit?bundle=${enc(stable.bundle)}&type=observe` +
    `&until=${enc(end)}&last=${ROLLOUT_ROWS}`);
  rollout.baseline = obs.entries;
}

function renderHead(head) {
  const cp = head.checkpoint;
  fill($('head'),
    el('span', {}, 'entries ', el('b', {id: 'head-entries'}, String(head.entries))),
    el('span', {title: head.head_hash}, 'head ', el('code', {}, shortHash(head.head_hash))),
    head.time ? el('span', {}, `at ${clock(head.time)}`) : null,
    cp ? el('span', {class: cp.verified ? 'ok' : 'bad', title: cp.problem ?? `root ${cp.root}`},
      `checkpoint seq ${cp.seq} (size ${cp.size}, ${cp.signer}) `,
      cp.verified ? '✓ verified' : '✗ not verified')
      : el('span', {class: 'muted'}, 'no checkpoint yet'),
    el('span', {class: head.state.snapshots_refused.length ? 'bad' : 'muted',
      title: head.state.snapshots_refused.join('\n')},
      head.state.loaded_from === 'snapshot' ? `state from the snapshot at ${head.state.snapshot_size}`
        : 'state replayed from genesis'));
}

function renderRollouts(services) {
  const root = $('rollouts');
  const keep = new Set();
  const boxes = [];
  for (const s of services) {
    for (const r of s.rollouts) {
      keep.add(r.bundle);
      const key = JSON.stringify([r.rows.at(-1)?.seq, r.status.state, r.baseline?.at(-1)?.seq]);
      let d = drawn.get(r.bundle);
      if (!d) {
        d = {key: null, plots: [], box: el('article', {class: 'rollout', 'data-bundle': r.bundle})};
        drawn.set(r.bundle, d);
      }
      boxes.push(d.box);
      if (d.key === key) continue;
      for (const p of d.plots) p.destroy();
      d.key = key;
      d.pending = r;
    }
  }
  for (const [bundle, d] of drawn) {
    if (!keep.has(bundle)) {
      for (const p of d.plots) p.destroy();
      drawn.delete(bundle);
    }
  }
  if (boxes.length === 0) {
    fill(root, el('p', {class: 'empty'}, 'No rollout yet.'));
    return;
  }
  root.replaceChildren(...boxes);  // in the DOM before drawing, so each box has its width
  for (const d of drawn.values()) {
    if (!d.pending) continue;
    d.plots = renderRollout(d.box, d.pending, $('tooltip'));
    d.pending = null;
  }
}

let refreshing = null;
let again = false;

// Reads everything and redraws; calls that arrive meanwhile make one more round after it.
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      try {
        const [head, routes] = await Promise.all([getJson('/v1/head'), getJson('/v1/routes')]);
        const names = Object.keys(routes.services).sort();
        const services = await Promise.all(names.map((n) => loadService(n, routes.services[n])));
        renderHead(head);
        renderServices($('services'), services);
        renderRollouts(services);
        await renderTrail($('filters'), $('trail'), $('trail-error'));
        document.body.dataset.entries = String(head.entries);
      } catch (e) {
        setLive('offline', `cannot read the ledger: ${e.message}`);
      }
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

function setLive(state, title) {
  const live = $('live');
  live.className = `live live-${state}`;
  live.textContent = state;
  live.title = title;
}

// Follows /v1/events from the head the page drew. EventSource reconnects by itself after a
// dropped connection, sending Last-Event-ID, so a restarted server resumes exactly; if it gave
// up (the server answered something else), a new one starts a second later from the last seq.
function follow(from) {
  const source = new EventSource(`/v1/events?from=${from}`);
  let timer = null;
  const wake = (ev) => {
    const seq = parseInt(ev.lastEventId, 10);
    if (!Number.isNaN(seq)) lastSeq = Math.max(lastSeq, seq);
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);  // one redraw per burst of entries
  };
  for (const name of EVENT_NAMES) source.addEventListener(name, wake);
  source.addEventListener('message', wake);
  source.onopen = () => {
    setLive('live', 'following /v1/events');
    refresh();  // whatever happened while disconnected
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      setLive('offline', 'the event stream closed; retrying');
      setTimeout(() => follow(lastSeq + 1), 1000);
    } else {
      setLive('reconnecting', 'the server went away; reconnecting');
    }
  };
}

async function main() {
  let debounce = null;
  $('filters').addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => renderTrail($('filters'), $('trail'), $('trail-error')), 250);
  });
  await refresh();
  performance.mark('dvs-first-render');  // what tools/run bench measures
  const entries = parseInt(document.body.dataset.entries ?? '0', 10);
  lastSeq = entries - 1;
  follow(entries);
  let resized = null;
  window.addEventListener('resize', () => {
    clearTimeout(resized);
    resized = setTimeout(() => {
      for (const d of drawn.values()) d.key = null;
      refresh();
    }, 200);
  });
}

main();

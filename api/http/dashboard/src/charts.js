// A rollout's charts, drawn with uPlot (window.uPlot, loaded from /dashboard/uplot.js): the
// bundle's weight over ledger time, one point per step, with a marker per decision whose hover
// shows the decision, its reason, the signer and the evidence; and each metric the manifest's
// conditions name, against its promote and rollback thresholds (and the stable baseline where a
// condition uses one).
import {el, fill, clock} from './dom.js';
import {DECISIONS} from './api.js';

const COLORS = {weight: '#2b6cb0', value: '#1a202c', promote: '#2f855a', rollback: '#c53030',
  baseline: '#718096'};

// "latency_ms < 200" -> {metric, op, value}; "p99 <= baseline * 1.2" -> {metric, op, factor}.
export function parseCondition(text) {
  const m = /^\s*([A-Za-z_][\w.:-]*)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/.exec(String(text));
  if (!m) return null;
  const [, metric, op, rhs] = m;
  const base = /^baseline(?:\s*\*\s*([0-9.eE+-]+))?$/.exec(rhs);
  if (base) return {metric, op, factor: base[1] === undefined ? 1 : Number(base[1])};
  const value = Number(rhs);
  return Number.isFinite(value) ? {metric, op, value} : null;
}

const seconds = (row) => Date.parse(row.time) / 1000;

// The weight steps: the deploy and every entry that moved this bundle's traffic.
export function weightPoints(rows) {
  return rows.filter((r) => r.type === 'deploy' ||
    (DECISIONS.has(r.type) && r.weight_before !== r.weight_after));
}

// rollout: {bundle, status, rows, baseline: rows of the stable bundle's observations or null}.
// Returns the uPlot instances made (the caller destroys them before drawing again).
export function renderRollout(root, rollout, tooltip) {
  const {status, rows} = rollout;
  const points = weightPoints(rows);
  const decisions = rows.filter((r) => DECISIONS.has(r.type));
  const plots = [];
  const weightBox = el('div', {class: 'chart weight-chart', 'data-bundle': status.bundle,
    'data-points': points.length, 'data-markers': decisions.length});
  const metricsBox = el('div', {class: 'metric-charts'});
  fill(root,
    el('h3', {}, `${status.service} ${status.version} `,
      el('span', {class: `state state-${status.state}`}, status.state),
      el('span', {class: 'muted'}, ` ${status.bundle}`)),
    el('p', {class: 'conditions'}, conditionsText(status)),
    weightBox, metricsBox);
  if (points.length === 0) return plots;
  const width = Math.max(320, Math.min(root.clientWidth - 24, 900));
  const xs = points.map(seconds);
  // Every chart of a rollout spans the same ledger time: its first entry to its last decision
  // or observation (a promotion that moves no weight still gets its marker inside the plot).
  const times = rows.filter((r) => r.type !== 'package' && r.type !== 'approve').map(seconds);
  const span = [Math.min(...times), Math.max(...times)];
  const pad = Math.max((span[1] - span[0]) * 0.03, 0.05);
  const range = () => [span[0] - pad, span[1] + pad];
  const u = new window.uPlot({
    width, height: 170,
    scales: {x: {time: true, range}, y: {range: [0, 100]}},
    legend: {show: false},
    cursor: {drag: {x: false, y: false}},
    axes: [{}, {values: (_, vals) => vals.map((v) => `${v} %`), size: 56}],
    series: [{}, {label: 'weight', stroke: COLORS.weight, fill: 'rgba(43,108,176,0.10)', width: 2,
      paths: window.uPlot.paths.stepped({align: 1}),
      // A dot per step; the line goes on to the rollout's last entry without one.
      points: {show: true, size: 7, filter: () => points.map((_, i) => i)}}],
    hooks: {draw: [(plot) => placeMarkers(plot, decisions, tooltip)]},
  }, [[...xs, span[1]], [...points.map((r) => r.weight_after), points.at(-1).weight_after]],
  weightBox);
  plots.push(u);

  const observations = rows.filter((r) => r.type === 'observe' && r.metrics);
  for (const metric of metricNames(status, observations)) {
    plots.push(metricChart(metricsBox, metric, status, observations, rollout.baseline, width,
      range));
  }
  return plots.filter(Boolean);
}

function conditionsText(status) {
  const p = status.promote_when ?? [];
  const r = status.rollback_when ?? [];
  return `promote when ${p.join(' and ') || '(nothing)'}; roll back when ${r.join(' or ') ||
    '(nothing)'}`;
}

function metricNames(status, observations) {
  const names = new Set();
  for (const c of [...(status.promote_when ?? []), ...(status.rollback_when ?? [])]) {
    const parsed = parseCondition(c);
    if (parsed) names.add(parsed.metric);
  }
  for (const o of observations) for (const k of Object.keys(o.metrics)) names.add(k);
  return [...names].sort();
}

// The stable baseline at time t: its latest observation of `metric` at or before t.
function baselineAt(baseline, metric, t) {
  let v = null;
  for (const r of baseline ?? []) {
    if (seconds(r) > t) break;
    if (r.metrics && metric in r.metrics) v = r.metrics[metric];
  }
  return v;
}

function metricChart(box, metric, status, observations, baseline, width, range) {
  const obs = observations.filter((o) => metric in o.metrics);
  const holder = el('div', {class: 'chart metric-chart', 'data-metric': metric,
    'data-points': obs.length});
  box.appendChild(el('div', {class: 'metric'}, el('h4', {}, metric), holder));
  if (obs.length === 0) {
    holder.appendChild(el('p', {class: 'empty'}, 'not observed yet'));
    return null;
  }
  const xs = obs.map(seconds);
  const data = [xs, obs.map((o) => o.metrics[metric])];
  const series = [{}, {label: metric, stroke: COLORS.value, width: 2, points: {show: true}}];
  const lines = [['promote', status.promote_when], ['rollback', status.rollback_when]];
  for (const [kind, list] of lines) {
    for (const text of list ?? []) {
      const c = parseCondition(text);
      if (!c || c.metric !== metric) continue;
      if (c.value !== undefined) {
        data.push(xs.map(() => c.value));
      } else {
        data.push(xs.map((t) => {
          const b = baselineAt(baseline, metric, t);
          return b === null ? null : b * c.factor;
        }));
      }
      series.push({label: `${kind}: ${text}`, stroke: COLORS[kind], width: 1.5, dash: [6, 4],
        points: {show: false}, spanGaps: true});
    }
  }
  if (series.some((s) => s.label && /baseline/.test(s.label))) {
    data.push(xs.map((t) => baselineAt(baseline, metric, t)));
    series.push({label: 'baseline (stable)', stroke: COLORS.baseline, width: 1, dash: [2, 3],
      points: {show: false}, spanGaps: true});
  }
  return new window.uPlot({
    width: Math.max(300, Math.floor(width / 2) - 12), height: 140,
    scales: {x: {time: true, range}},
    cursor: {drag: {x: false, y: false}},
    legend: {show: true, live: false},
    axes: [{}, {size: 56}],
    series,
  }, data, holder);
}

// One focusable marker per decision, over the plot, re-placed on every redraw.
function placeMarkers(u, decisions, tooltip) {
  let layer = u.over.querySelector('.markers');
  if (!layer) {
    layer = el('div', {class: 'markers'});
    u.over.appendChild(layer);
  }
  layer.replaceChildren();
  for (const row of decisions) {
    const m = el('span', {class: `marker marker-${row.type}`, tabindex: 0, 'data-seq': row.seq,
      'data-type': row.type, 'aria-label': `${row.type} at seq ${row.seq}`});
    m.style.left = `${u.valToPos(seconds(row), 'x')}px`;
    m.style.top = `${u.valToPos(row.weight_after, 'y')}px`;
    const show = () => showTooltip(tooltip, m, row);
    const hide = () => { tooltip.hidden = true; };
    m.addEventListener('mouseenter', show);
    m.addEventListener('focus', show);
    m.addEventListener('mouseleave', hide);
    m.addEventListener('blur', hide);
    layer.appendChild(m);
  }
}

function showTooltip(tooltip, marker, row) {
  const evidence = (row.evidence ?? []).map((e) => e.seq);
  fill(tooltip,
    el('div', {class: 'tt-title'}, `${row.type}${row.automatic ? ' (automatic)' : ' (by hand)'}`,
      ` · seq ${row.seq} · ${clock(row.time)}`),
    el('div', {}, `weight ${row.weight_before} % → ${row.weight_after} %`),
    row.detail ? el('div', {class: 'tt-reason'}, 'reason: ', el('span', {}, row.detail)) : null,
    el('div', {}, 'signer: ', el('b', {}, row.actor), el('span', {class: 'muted'}, ` ${row.key_id}`)),
    evidence.length ? el('div', {}, `evidence: seq ${evidence.join(', ')}`) : null);
  tooltip.dataset.seq = String(row.seq);
  tooltip.hidden = false;
  // Beside the marker, on its left when the right would leave the window.
  const r = marker.getBoundingClientRect();
  const w = tooltip.offsetWidth;
  const left = r.right + 8 + w <= window.innerWidth ? r.right + 8 : Math.max(4, r.left - 8 - w);
  tooltip.style.left = `${Math.round(left + window.scrollX)}px`;
  tooltip.style.top = `${Math.round(r.top + window.scrollY - 8)}px`;
}

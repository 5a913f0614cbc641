// The services overview: each service's routing as a bar (stable / canary / warm), the state of
// its rollout, and its last decision.
import {el, fill, clock} from './dom.js';

// service: {name, routes: [{bundle, version, weight, role}], statuses: {bundle: status},
//           lastDecision: row | null}
export function renderServices(root, services) {
  if (services.length === 0) {
    fill(root, el('p', {class: 'empty'}, 'No service has been deployed yet.'));
    return;
  }
  fill(root, services.map(serviceCard));
}

function serviceCard(s) {
  const bar = el('div', {class: 'bar', role: 'img', 'aria-label': routingText(s.routes)});
  for (const r of s.routes) {
    const seg = el('div', {class: `seg seg-${roleClass(r.role)}`, 'data-bundle': r.bundle,
      'data-weight': r.weight, title: `${r.role} ${r.bundle}: ${r.weight} %`});
    seg.style.width = `${r.weight}%`;  // CSSOM, allowed by the CSP (no inline style attribute)
    if (r.weight >= 8) seg.textContent = `${r.weight} %`;
    bar.appendChild(seg);
  }
  const legend = el('ul', {class: 'legend'}, s.routes.map((r) =>
    el('li', {'data-bundle': r.bundle},
      el('span', {class: `dot seg-${roleClass(r.role)}`}),
      `${r.role} `, el('b', {}, r.version), ` ${r.weight} %`,
      el('span', {class: 'muted'}, ` ${r.bundle}`))));
  return el('article', {class: 'service', 'data-service': s.name},
    el('h3', {}, s.name, ' ', el('span', {class: `state state-${stateOf(s)}`}, stateOf(s))),
    bar, legend,
    el('p', {class: 'decision'}, 'last decision: ', decisionText(s.lastDecision)));
}

function roleClass(role) {
  return ['stable', 'canary', 'warm'].includes(role) ? role : 'other';
}

function routingText(routes) {
  return routes.map((r) => `${r.role} ${r.version} ${r.weight} %`).join(', ') || 'no traffic';
}

// "canary 25 %", "paused 25 %", "stable", or "no traffic".
function stateOf(s) {
  const canary = s.routes.find((r) => r.role === 'canary');
  if (canary) {
    const st = s.statuses[canary.bundle];
    return st && st.state === 'paused' ? 'paused' : 'canary';
  }
  return s.routes.some((r) => r.role === 'stable') ? 'stable' : 'idle';
}

export function decisionText(row) {
  if (!row) return 'none yet';
  let text = `${row.type} of ${row.bundle} by ${row.actor}${row.automatic ? ' (automatic)' : ''}` +
    ` at ${clock(row.time)}, seq ${row.seq}`;
  if (row.detail) text += `: ${row.detail}`;
  return text;
}

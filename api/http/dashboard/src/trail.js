// The history and audit trail: the filters `dvs audit` has, the last 200 matches newest first,
// each seq linking to its proof of inclusion and each signer to the ledger's keys.
import {el, fill, enc, clock} from './dom.js';
import {getJson} from './api.js';

const FILTERS = ['service', 'bundle', 'actor', 'type', 'since', 'until'];
export const TRAIL_ROWS = 200;

export function trailPath(form) {
  const q = [];
  for (const name of FILTERS) {
    const v = form.querySelector(`[name="${name}"]`).value.trim();
    if (v) q.push(`${name}=${enc(v)}`);
  }
  q.push(`last=${TRAIL_ROWS}`);
  return `/v1/audit?${q.join('&')}`;
}

let latest = 0;  // the newest read asked: an older answer arriving late is dropped

export async function renderTrail(form, table, errorBox) {
  const mine = ++latest;
  let answer;
  try {
    answer = await getJson(trailPath(form));
  } catch (e) {
    if (mine !== latest) return;
    errorBox.textContent = e.message;  // the server names the bad filter, or the unknown name
    fill(table.tBodies[0], []);  // rows of the last good filter would read as this one's answer
    return;
  }
  if (mine !== latest) return;
  errorBox.textContent = '';
  const rows = [...answer.entries].reverse();
  fill(table.tBodies[0], rows.map((r) => el('tr', {'data-seq': r.seq, 'data-type': r.type},
    el('td', {class: 'num'}, el('a', {href: `/v1/proof/inclusion/${r.seq}`,
      title: `proof of inclusion of seq ${r.seq}`}, String(r.seq))),
    el('td', {title: r.time}, clock(r.time)),
    el('td', {}, r.type, r.automatic ? el('span', {class: 'muted'}, ' auto') : null),
    el('td', {class: 'bundle'}, r.bundle),
    el('td', {class: 'num'}, r.bundle ? `${r.weight_before}→${r.weight_after} %` : ''),
    el('td', {}, el('a', {href: '/v1/keys', title: `key ${r.key_id}`, class: 'signer'}, r.actor)),
    el('td', {class: 'detail'}, r.detail))));
}

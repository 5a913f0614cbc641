// The page's reads: JSON from this server's /v1/ API, nothing else. A failed read throws an
// Error whose message is the server's own ("server answered 400: ...").
export async function getJson(path) {
  const res = await fetch(path, {headers: {Accept: 'application/json'}, cache: 'no-store'});
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${path}: the server answered ${res.status} with no JSON`);
  }
  if (!res.ok) throw new Error(`server answered ${res.status}: ${body.error ?? text}`);
  return body;
}

// The kinds of entry that move traffic or decide: the markers on a ramp chart.
export const DECISIONS = new Set(['deploy', 'ramp', 'promote', 'rollback', 'pause', 'resume',
  'retire']);

// Every event name /v1/events sends (api/service/events.cc), so each wakes the page.
export const EVENT_NAMES = ['ledger.genesis', 'key.granted', 'key.revoked', 'policy.set',
  'deploy.packaged', 'deploy.approved', 'deploy.rejected', 'deploy.start', 'deploy.observed',
  'deploy.ramp', 'deploy.paused', 'deploy.resumed', 'deploy.promoted', 'deploy.rollback',
  'deploy.retired', 'deploy.confirmed', 'deploy.outcome', 'ledger.checkpoint'];

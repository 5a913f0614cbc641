// Building DOM from ledger data. Service names, bundle ids, reasons and metric names are written
// by whoever holds a key (or edits a manifest): they only ever reach the page as text nodes
// (textContent), never as markup. Attributes are set one by one, and links only ever point at
// this server's own /v1/ paths.

// el('td', {class: 'num', title: 'x'}, 'text', otherNode, ...): strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'href') {
      node.setAttribute('href', ownPath(value));
    } else {
      node.setAttribute(name, String(value));
    }
  }
  for (const child of children) append(node, child);
  return node;
}

export function append(node, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(node, c);
  } else if (child instanceof Node) {
    node.appendChild(child);
  } else {
    node.appendChild(document.createTextNode(String(child)));
  }
}

// Replaces node's children.
export function fill(node, ...children) {
  node.replaceChildren();
  for (const c of children) append(node, c);
}

// A path on this server, or '#' for anything else (no javascript:, no other origins).
function ownPath(p) {
  const s = String(p);
  return s.startsWith('/') && !s.startsWith('//') ? s : '#';
}

// A path segment or query value, percent-encoded.
export const enc = encodeURIComponent;

export function shortHash(hex, n = 12) {
  return hex ? `${hex.slice(0, n)}…` : '';
}

// "15:04:05" in UTC, from an RFC 3339 time.
export function clock(rfc3339) {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? rfc3339 : d.toISOString().slice(11, 19);
}

// Small DOM helpers shared by the pages, and the one polling loop.

// h builds an element: h('a', {href: '#/', class: 'x'}, 'text', child).
// Attributes starting with "on" are event listeners; false/null/undefined
// attributes and children are skipped. Text is always set as text, never
// parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace swaps an element's children for new ones.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// poll runs fn now and then `ms` after each run finishes, never two at
// once, and not at all while the page is hidden: a hidden tab sends no
// requests, and showing it again polls at once. It returns a stop function.
export function poll(fn, ms = 1000) {
  let timer = null;
  let running = false;
  let stopped = false;
  const tick = async () => {
    timer = null;
    if (stopped || document.hidden || running) return;
    running = true;
    try {
      await fn();
    } catch (e) {
      console.error(e);
    } finally {
      running = false;
    }
    if (!stopped && !document.hidden) timer = setTimeout(tick, ms);
  };
  const onVisibility = () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (!timer) {
      tick();
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}

// duration renders seconds as "1h 2m", "3m 4s" or "5s".
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
}

// copyButton copies the text of a <pre> (or any element) to the clipboard.
export function copyButton(source) {
  const btn = h('button', { type: 'button', class: 'copy', onclick: async () => {
    try {
      await navigator.clipboard.writeText(source.textContent);
      btn.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      btn.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => { btn.textContent = 'Copy'; }, 2000);
  } }, 'Copy');
  return btn;
}

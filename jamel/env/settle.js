// Page-side half of the adaptive settle (EnvConfig.settle = "adaptive"), installed as an init script
// in every frame before the app's own scripts. It tracks what can still run app code after an action:
// DOM mutations, in-flight fetch/XHR, short pending setTimeout callbacks, an unfinished document load.
// `window.__jamelSettle.quiet(quietMs, maxWaitMs)` resolves true once none of these happened for
// quietMs (false at maxWaitMs). Network requests of every kind (scripts, images, navigations) are
// counted on the Python side from Playwright's request events. Installed scripts have no URL, so
// their own coverage never counts toward C(t).
(() => {
  if (window.__jamelSettle) return;
  const realSetTimeout = window.setTimeout.bind(window);
  const realClearTimeout = window.clearTimeout.bind(window);
  const S = { last: performance.now(), fetches: 0, timers: new Map(), depth: 0, maxDelay: __CAP_MS__, maxDepth: 3 };
  const bump = () => { S.last = performance.now(); };
  Object.defineProperty(window, '__jamelSettle', { value: S, enumerable: false });

  // Our own observation tags elements with data-jamel-bid: that is not page activity.
  const onMutations = (records) => {
    for (const r of records) {
      if (r.type !== 'attributes' || r.attributeName !== 'data-jamel-bid') { bump(); return; }
    }
  };
  new MutationObserver(onMutations).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true });

  // Short timers are awaited (a handler that updates the page after 150 ms belongs to the step that
  // caused it). Timers scheduled from timer callbacks are followed only a few levels deep, so a
  // self-rescheduling polling loop cannot hold every step until the cap.
  window.setTimeout = function (fn, delay, ...args) {
    const ms = Number(delay) || 0;
    const depth = S.depth;
    if (typeof fn !== 'function' || ms > S.maxDelay || depth >= S.maxDepth) {
      return realSetTimeout(fn, delay, ...args);
    }
    const id = realSetTimeout(function () {
      S.timers.delete(id);
      S.depth = depth + 1;
      try { return fn.apply(this, args); } finally { S.depth = depth; bump(); }
    }, delay);
    S.timers.set(id, true);
    return id;
  };
  window.clearTimeout = function (id) { S.timers.delete(id); return realClearTimeout(id); };

  if (window.fetch) {
    const realFetch = window.fetch;
    window.fetch = function (...args) {
      S.fetches++; bump();
      let p;
      try { p = realFetch.apply(this, args); } catch (e) { S.fetches--; throw e; }
      return p.finally(() => { S.fetches--; bump(); });
    };
  }
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    S.fetches++; bump();
    this.addEventListener('loadend', () => { S.fetches--; bump(); }, { once: true });
    try { return send.apply(this, args); } catch (e) { S.fetches--; throw e; }
  };

  // A finite CSS transition/animation ends with an event the app may handle (transitionend).
  const animating = () => {
    if (!document.getAnimations) return false;
    return document.getAnimations().some((a) => a.playState === 'running'
      && a.effect && a.effect.getComputedTiming().endTime !== Infinity
      && a.effect.getComputedTiming().endTime - (a.currentTime || 0) <= S.maxDelay);
  };
  S.busy = () => S.fetches > 0 || S.timers.size > 0 || document.readyState !== 'complete' || animating();
  // mark: the action just happened; wait a full quiet window after it in any case (work the app
  // scheduled through rAF, MessageChannel or promises runs in that window).
  S.quiet = (quietMs, maxWaitMs, mark) => new Promise((resolve) => {
    const t0 = performance.now();
    if (mark) S.last = Math.max(S.last, t0);
    const check = () => {
      // A held navigation (listeners.js) ends the step's wait at once: the document is leaving, and its
      // timers and requests would not run in the browser past the navigation's commit.
      const nav = window.__jamelNavigation;
      if (nav && nav.held()) return resolve(true);
      const now = performance.now();
      const busy = S.busy();
      if (!busy && now - S.last >= quietMs) return resolve(true);
      if (now - t0 >= maxWaitMs) return resolve(false);
      realSetTimeout(check, busy ? 5 : Math.max(1, quietMs - (now - S.last)));
    };
    check();
  });
})();

// Init script (context.add_init_script: every document, every frame, before the page's own scripts).
//
// Records which elements have interaction listeners attached with addEventListener, so observe.js can
// list a plain <div> whose click handler was attached by code (no role, no onclick attribute, no
// tabindex). Reading CDP DOMDebugger.getEventListeners per element would cost one round trip per
// element and step (benchmarks/bench_observation.py measures both); this wrapper costs a WeakMap
// update per addEventListener call and a lookup per element when observing.
//
// The wrapper only observes: it calls the original with the same arguments and returns its result,
// so the page behaves (and its coverage counts) exactly as without it. Removal is tracked for
// removeEventListener, `once` listeners (after they ran) and `signal` aborts. `on<event>` handler
// properties need no wrapper: observe.js reads them (el.onclick) directly.
//
// Second part, top-level documents only: the navigation hold (see its comment below).
(() => {
    const KEY = '__jamelListenerTypes';
    if (window[KEY]) return;
    const proto = EventTarget.prototype;
    const nav = window === window.top ? window.navigation : undefined;  // the Navigation API, for the hold
    const add = proto.addEventListener;
    const remove = proto.removeEventListener;
    // target -> Map(type -> Set of "listener|capture" registrations)
    const registry = new WeakMap();
    // listener (function or {handleEvent}) -> small id, to key registrations without holding strings of code
    const ids = new WeakMap();
    let nextId = 1;
    const keyOf = (listener, options) => {
        if (!ids.has(listener)) ids.set(listener, nextId++);
        const capture = typeof options === 'boolean' ? options : !!(options && options.capture);
        return `${ids.get(listener)}|${capture}`;
    };
    const forget = (target, type, key) => {
        const types = registry.get(target);
        const set = types && types.get(type);
        if (!set) return;
        set.delete(key);
        if (!set.size) types.delete(type);
    };
    const wrappedAdd = function addEventListener(type, listener, options) {
        const result = add.apply(this, arguments);
        try {
            if (listener && (typeof listener === 'function' || typeof listener === 'object')
                && (this instanceof Node || (nav && this === nav))
                && !(options && options.signal && options.signal.aborted)) {
                const t = String(type);
                const key = keyOf(listener, options);
                let types = registry.get(this);
                if (!types) registry.set(this, (types = new Map()));
                if (!types.has(t)) types.set(t, new Set());
                types.get(t).add(key);
                const target = this;
                if (options && options.once) {
                    // Runs after the page's own once-listener (registered first), then removes itself.
                    add.call(this, t, () => forget(target, t, key), { once: true, capture: !!options.capture });
                }
                if (options && options.signal) {
                    add.call(options.signal, 'abort', () => forget(target, t, key), { once: true });
                }
            }
        } catch (e) { /* never break the page's own call */ }
        return result;
    };
    const wrappedRemove = function removeEventListener(type, listener, options) {
        try {
            if (listener && ids.has(listener)) forget(this, String(type), keyOf(listener, options));
        } catch (e) { /* idem */ }
        return remove.apply(this, arguments);
    };
    Object.defineProperty(proto, 'addEventListener', { value: wrappedAdd, writable: true, configurable: true });
    Object.defineProperty(proto, 'removeEventListener', { value: wrappedRemove, writable: true, configurable: true });
    // The types with a live listener on `el`, or null.
    Object.defineProperty(window, KEY, {
        value: (el) => {
            const types = registry.get(el);
            return types && types.size ? Array.from(types.keys()) : null;
        },
        enumerable: false
    });

    // The navigation hold. A handler that runs new code and then loads another document (location.href =
    // ..., a link with an onclick, a GET form's onsubmit) leaves nothing of that code to the coverage take
    // after the step: the take only reaches the new document. So a navigation of this window that the page
    // starts to another document of its own origin is held (cancelled) and remembered; the env takes the
    // old document's coverage and then replays it, unchanged, with `__jamelNavigation.replay()`
    // (BrowserEnv._follow_navigations, docs/environment.md). Held: push, replace and reload navigations
    // (links, scripts, a meta refresh) and GET form submissions, which are cancelled at their submit event
    // (a form's navigation is scheduled, and Playwright's click would wait for it to commit). Let through
    // as before: same-document navigations, back/forward (not cancellable), POST forms, downloads, other
    // origins (the env's request router refuses those), frames, the env's own loads (CDP navigations fire
    // no event), a new tab's first load, and every navigation of a page that handles `navigate` itself
    // (a Navigation API router may intercept it).
    if (!nav || !/^https?:$/.test(location.protocol)) return;
    const NAV_KEY = '__jamelNavigation';
    let held = null;  // the URL of the held navigation, and how to replay it
    let allowed = null;  // the URL being replayed: its navigate event passes
    const pageHandlesNavigate = () => {
        const types = registry.get(nav);
        return !!(types && types.has('navigate')) || typeof nav.onnavigate === 'function';
    };
    add.call(nav, 'navigate', (e) => {
        if (allowed !== null && e.destination.url === allowed) return;
        if (!e.cancelable || e.destination.sameDocument || e.navigationType === 'traverse'
            || e.formData || e.downloadRequest !== null || pageHandlesNavigate()) return;
        const source = e.sourceElement;
        if (source && (source instanceof HTMLFormElement || source.form instanceof HTMLFormElement)) return;
        let url;
        try { url = new URL(e.destination.url); } catch (err) { return; }
        if (url.origin !== location.origin) return;
        e.preventDefault();
        held = { url: url.href, type: e.navigationType };
        // A redirect while the document is still parsing (a guard in <head>, a hop page): the browser would
        // leave before the rest of it ran. Stopping the document here keeps what ran before the redirect
        // (it counts) and runs nothing after it: no later script, no DOMContentLoaded or load handler
        // (Chromium: readyState becomes complete without those events).
        if (document.readyState === 'loading') window.stop();
    });
    // A GET form submission, decided after the page's own submit handlers: a window listener added during
    // the capture phase runs last in the bubble phase. Its URL is the one the browser would build (the
    // form's entries, URL-encoded, as the query of its action).
    // A form's own properties can be shadowed by its controls (<input name="action">): read the prototype's.
    const formProp = (form, name) => Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, name).get.call(form);
    const hasAttr = (el, name) => Element.prototype.hasAttribute.call(el, name);
    const onSubmit = (e) => {
        const form = e.target;
        const s = e.submitter;
        if (!e.isTrusted || e.defaultPrevented || !(form instanceof HTMLFormElement) || pageHandlesNavigate()) return;
        const method = s && hasAttr(s, 'formmethod') ? s.formMethod : formProp(form, 'method');
        const base = document.querySelector('base[target]');
        const target = s && hasAttr(s, 'formtarget') ? s.formTarget
            : hasAttr(form, 'target') ? formProp(form, 'target') : (base ? base.target : '');
        if (method !== 'get' || !['', '_self', '_top', '_parent'].includes(target.trim().toLowerCase())) return;
        let url, query;
        try {
            url = new URL(s && hasAttr(s, 'formaction') ? s.formAction : formProp(form, 'action'));
            query = new URLSearchParams();
            for (const [name, value] of (s ? new FormData(form, s) : new FormData(form))) {
                query.append(name, typeof value === 'string' ? value : value.name);
            }
        } catch (err) { return; }
        if (url.origin !== location.origin) return;
        const hash = url.hash;  // kept; the query is replaced, and stays ("?") when the form has no entries
        url.hash = '';
        url.search = '';
        e.preventDefault();
        held = { url: new URL(`${url.href}?${query}${hash}`).href, type: 'push' };
    };
    add.call(window, 'submit', () => {
        remove.call(window, 'submit', onSubmit);
        add.call(window, 'submit', onSubmit);
    }, true);
    Object.defineProperty(window, NAV_KEY, {
        value: Object.freeze({
            held: () => (held ? held.url : null),
            // Replays the held navigation as the page started it (push, replace or reload); its URL, or null.
            replay: () => {
                const h = held;
                if (!h) return null;
                held = null;
                allowed = h.url;
                try {
                    if (h.type === 'reload') location.reload();
                    else if (h.type === 'replace') location.replace(h.url);
                    else location.assign(h.url);
                } finally { allowed = null; }
                return h.url;
            }
        }),
        enumerable: false
    });
})();

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
(() => {
    const KEY = '__jamelListenerTypes';
    if (window[KEY]) return;
    const proto = EventTarget.prototype;
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
                && (this instanceof Node) && !(options && options.signal && options.signal.aborted)) {
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
})();

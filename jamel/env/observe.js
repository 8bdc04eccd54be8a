// Marks elements with stable ids (bids) and renders the page's accessibility view.
//
// Called as `page.evaluate(source, {maxNodes, scanLimit})` in the top frame; returns a JSON string. It walks the composed
// (flat) tree: open shadow roots (with their slots) and the documents of same-origin iframes are
// walked in place, so their elements get bids, tree lines and list entries like any other.
//
// Bids. A bid is written once into the element's `data-jamel-bid` attribute and kept while the
// element lives, so ids stay stable across steps; new elements get the next free number from one
// counter in the top window, so bids are unique across frames. Reloading the page renumbers in
// document order, deterministic for a deterministic app. Which element owns which bid is remembered
// in a WeakMap: an attribute we did not write (a cloneNode copy, or one set by the page) is replaced,
// so two live elements never share a bid.
//
// Two passes. Pass 1 scans up to `scanLimit` rendered elements in document order, and records for each
// its role, whether a user can act on it (see `actionable`) and whether it is on screen (its box
// intersects the viewport, and the box of each iframe it is in; clipping by scrolling containers is
// not checked: it would cost three more computed-style reads per element). Pass 2 keeps at most
// `maxNodes` elements, on-screen ones first, then off-screen ones in document order, gives the kept
// ones with a role a bid and renders them in document order. The interactive list is ordered
// on-screen first, then off-screen (each in document order), so a cap on its length keeps what the
// user sees. Tree lines of off-screen elements are flagged so the text pruning drops them first.
(args) => {
    // A library may put toJSON on built-in prototypes (Prototype.js 1.6 does, on Array) and
    // JSON.stringify obeys it: the result and every quoted name would be mangled. Set such methods aside
    // for the walk and put them back.
    const protos = [Object.prototype, Array.prototype, String.prototype, Number.prototype, Boolean.prototype];
    const saved = protos.map((p) => Object.getOwnPropertyDescriptor(p, 'toJSON'));
    protos.forEach((p, i) => { if (saved[i] && saved[i].configurable) delete p.toJSON; });
    try {
        return walk(args);
    } finally {
        protos.forEach((p, i) => { if (saved[i] && saved[i].configurable) Object.defineProperty(p, 'toJSON', saved[i]); });
    }

function walk(args) {
    const BID = 'data-jamel-bid';
    const topWin = window;
    if (topWin.__jamelNextBid === undefined) topWin.__jamelNextBid = 1;
    if (!topWin.__jamelBidOwner) {
        Object.defineProperty(topWin, '__jamelBidOwner', { value: new WeakMap(), enumerable: false });
    }
    const owner = topWin.__jamelBidOwner; // element -> the bid we gave it
    const maxNodes = args.maxNodes || 5000;
    const scanLimit = args.scanLimit || maxNodes * 4;
    // A click/key/input listener on one of these types makes a plain element actionable.
    const LISTEN = new Set(['click', 'dblclick', 'auxclick', 'contextmenu', 'mousedown', 'mouseup', 'pointerdown',
        'pointerup', 'touchstart', 'touchend', 'keydown', 'keyup', 'keypress', 'input', 'beforeinput', 'change',
        'submit', 'mouseenter', 'mouseover']);
    const HANDLER_PROPS = Array.from(LISTEN).map((t) => 'on' + t);
    // A listener-only element that holds this many actionable descendants is a delegation container
    // (React's root, a list whose items are listed themselves), not one control.
    const CONTAINER_MIN = 3;

    const IMPLICIT = {
        A: (el) => (el.hasAttribute('href') ? 'link' : null),
        AREA: (el) => (el.hasAttribute('href') ? 'link' : null),
        BUTTON: () => 'button',
        SELECT: (el) => (el.multiple || el.size > 1 ? 'listbox' : 'combobox'),
        TEXTAREA: () => 'textbox',
        OPTION: () => 'option',
        IMG: (el) => (el.getAttribute('alt') === '' ? null : 'img'),
        H1: () => 'heading', H2: () => 'heading', H3: () => 'heading',
        H4: () => 'heading', H5: () => 'heading', H6: () => 'heading',
        NAV: () => 'navigation', MAIN: () => 'main', HEADER: () => 'banner', FOOTER: () => 'contentinfo',
        ASIDE: () => 'complementary', FORM: () => 'form', DIALOG: () => 'dialog',
        UL: () => 'list', OL: () => 'list', LI: () => 'listitem', TABLE: () => 'table',
        TR: () => 'row', TD: () => 'cell', TH: () => 'columnheader', LABEL: () => 'LabelText',
        SUMMARY: () => 'button', DETAILS: () => 'group', FIELDSET: () => 'group', PROGRESS: () => 'progressbar',
        IFRAME: () => 'iframe', FRAME: () => 'iframe',
        INPUT: (el) => {
            const t = (el.getAttribute('type') || 'text').toLowerCase();
            if (t === 'hidden') return null;
            return {
                button: 'button', submit: 'button', reset: 'button', image: 'button', checkbox: 'checkbox',
                radio: 'radio', range: 'slider', number: 'spinbutton', search: 'searchbox', file: 'button'
            }[t] || 'textbox';
        }
    };
    const INTERACTIVE = new Set([
        'button', 'link', 'textbox', 'searchbox', 'checkbox', 'radio', 'combobox', 'listbox', 'option',
        'menuitem', 'menuitemcheckbox', 'menuitemradio', 'tab', 'switch', 'slider', 'spinbutton', 'treeitem'
    ]);
    const LEAF = new Set(['button', 'link', 'option', 'textbox', 'searchbox', 'heading', 'tab', 'menuitem']);
    const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'META', 'LINK', 'HEAD']);
    const NAMED_BY_TEXT = new Set(['button', 'link', 'heading', 'tab', 'option', 'menuitem', 'listitem', 'cell',
        'columnheader', 'switch', 'treeitem', 'LabelText', 'menuitemcheckbox', 'menuitemradio', 'checkbox', 'radio',
        'generic-clickable']);

    const roleOf = (el) => {
        const explicit = (el.getAttribute('role') || '').trim().split(/\s+/)[0];
        if (explicit && explicit !== 'presentation' && explicit !== 'none') return explicit;
        const f = IMPLICIT[el.tagName];
        return f ? f(el) : null;
    };

    const clean = (s) => (s || '').replace(/\s+/g, ' ').trim().slice(0, 120);

    const nameOf = (el, role) => {
        const labelled = el.getAttribute('aria-labelledby');
        if (labelled) {
            const root = el.getRootNode();
            const scope = root.getElementById ? root : el.ownerDocument;
            const text = labelled.split(/\s+/).map((id) => scope.getElementById(id)).filter(Boolean)
                .map((n) => n.textContent).join(' ');
            if (clean(text)) return clean(text);
        }
        const aria = el.getAttribute('aria-label');
        if (clean(aria)) return clean(aria);
        if (el.labels && el.labels.length) {
            const text = Array.from(el.labels).map((l) => l.textContent).join(' ');
            if (clean(text)) return clean(text);
        }
        if (el.tagName === 'IMG' || el.tagName === 'AREA') return clean(el.getAttribute('alt'));
        if (el.tagName === 'INPUT' && ['button', 'submit', 'reset'].includes(el.type)) return clean(el.value || el.type);
        if (el.tagName === 'svg') {
            const title = el.querySelector('title');
            if (title && clean(title.textContent)) return clean(title.textContent);
        }
        if (NAMED_BY_TEXT.has(role)) {
            const text = clean(el.innerText || el.textContent);
            if (text) return text;
        }
        return clean(el.getAttribute('title') || el.getAttribute('placeholder'));
    };

    const states = (el, role) => {
        const out = [];
        if (el.disabled || el.getAttribute('aria-disabled') === 'true') out.push('disabled');
        if (role === 'checkbox' || role === 'radio' || role === 'switch') {
            const checked = el.checked !== undefined ? el.checked : el.getAttribute('aria-checked') === 'true';
            out.push(checked ? 'checked' : 'unchecked');
        }
        const expanded = el.getAttribute('aria-expanded');
        if (expanded !== null) out.push(`expanded=${expanded}`);
        const selected = el.getAttribute('aria-selected');
        if (selected === 'true' || (el.tagName === 'OPTION' && el.selected)) out.push('selected');
        if (el.getAttribute('aria-current')) out.push('current');
        if (['textbox', 'searchbox', 'spinbutton', 'slider', 'combobox'].includes(role)) {
            if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') {
                const v = el.tagName === 'SELECT' ? (el.selectedOptions[0] ? el.selectedOptions[0].textContent : '') : el.value;
                out.push(`value=${JSON.stringify(clean(v))}`);
                const ph = el.getAttribute('placeholder');
                if (ph && !v) out.push(`placeholder=${JSON.stringify(clean(ph))}`);
            } else if (el.isContentEditable) {
                out.push(`value=${JSON.stringify(clean(el.innerText))}`);
            }
        }
        if (el.required) out.push('required');
        if (el.getAttribute('aria-invalid') === 'true') out.push('invalid');
        const root = el.getRootNode();
        if (root.activeElement === el) out.push('focused');
        if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') {
            let doc = null;
            try { doc = el.contentDocument; } catch (e) { doc = null; }
            if (!doc) out.push('cross-origin (not observed)');
        }
        return out;
    };

    // ---- pass 1: scan ----------------------------------------------------------------------------
    // rec: {el, role, act, onscreen, kids: [rec | {text}], frame: enclosing iframe rec or null}
    const intersect = (a, b) => ({
        l: Math.max(a.l, b.l), t: Math.max(a.t, b.t), r: Math.min(a.r, b.r), b: Math.min(a.b, b.b)
    });
    const viewport = { l: 0, t: 0, r: topWin.innerWidth, b: topWin.innerHeight };
    let scanned = 0;
    let truncatedScan = false;

    // What makes an element actionable, besides an interactive role (the first match is recorded).
    const actionable = (el, cursor, ctx) => {
        if (el.tagName === 'BODY' || el.tagName === 'HTML') return null;
        if (el.isContentEditable && !(el.parentElement && el.parentElement.isContentEditable)) return 'contenteditable';
        if (el.hasAttribute('tabindex') && el.tabIndex >= 0) return 'tabindex';
        for (const p of HANDLER_PROPS) {
            if (typeof el[p] === 'function') return 'handler';
        }
        // Only where the pointer starts: `cursor` is inherited, so every descendant reports it too.
        if (cursor === 'pointer' && !ctx.parentPointer) return 'pointer';
        const types = ctx.listeners ? ctx.listeners(el) : null;
        if (types && types.some((t) => LISTEN.has(t))) return 'listener';
        return null;
    };

    const walk = (el, ctx, parentRec) => {
        if (scanned >= scanLimit) { truncatedScan = true; return 0; }
        if (SKIP_TAGS.has(el.tagName)) return 0;
        if (el.hidden || el.getAttribute('aria-hidden') === 'true') return 0;
        const style = ctx.win.getComputedStyle(el);
        if (style.display === 'none' || style.visibility === 'hidden') return 0;
        scanned += 1;
        const rect = el.getBoundingClientRect();
        const box = { l: rect.left + ctx.ox, t: rect.top + ctx.oy, r: rect.right + ctx.ox, b: rect.bottom + ctx.oy };
        const cursor = style.cursor;
        let onscreen;
        if (rect.width > 0 && rect.height > 0) {
            const c = intersect(box, ctx.clip);
            onscreen = c.r > c.l && c.b > c.t;
        } else {
            onscreen = parentRec ? parentRec.onscreen : true; // display:contents, <option>: as the parent
        }
        let role = roleOf(el);
        const isFrame = el.tagName === 'IFRAME' || el.tagName === 'FRAME';
        if (isFrame && !role) role = 'iframe'; // always addressable: elements inside are located through it
        const isSvg = el.tagName === 'svg' || el.tagName === 'SVG';
        const rec = { el, role, act: null, onscreen, kids: [], frame: ctx.frame };
        parentRec.kids.push(rec);
        if (el.disabled) {
            rec.act = null;
        } else if (role && INTERACTIVE.has(role) && !(role === 'option' && el.tagName === 'OPTION')) {
            rec.act = 'role';
        } else {
            rec.act = actionable(el, cursor, ctx);
            if (rec.act === 'contenteditable') role = rec.role = 'textbox';
            else if (rec.act && !role) role = rec.role = 'generic-clickable';
        }
        if (isSvg || (role && LEAF.has(role))) return rec.act ? 1 : 0; // its text is the name
        const childCtx = { ...ctx, parentPointer: cursor === 'pointer' };
        let below = 0;
        if (isFrame) {
            let doc = null;
            try { doc = el.contentDocument; } catch (e) { doc = null; } // cross-origin: not observed
            if (doc && doc.body) {
                const fwin = doc.defaultView;
                const ox = box.l + el.clientLeft, oy = box.t + el.clientTop;
                const fclip = intersect(ctx.clip, { l: ox, t: oy, r: ox + el.clientWidth, b: oy + el.clientHeight });
                below += walk(doc.body, {
                    win: fwin, ox, oy, clip: fclip, parentPointer: false, frame: rec,
                    listeners: fwin.__jamelListenerTypes || null
                }, rec);
            }
        } else {
            const children = el.shadowRoot ? el.shadowRoot.childNodes
                : (el.tagName === 'SLOT' && el.assignedNodes().length ? el.assignedNodes() : el.childNodes);
            for (const child of children) {
                if (child.nodeType === 3) {
                    const text = clean(child.textContent);
                    if (text) rec.kids.push({ text });
                } else if (child.nodeType === 1) {
                    below += walk(child, childCtx, rec);
                }
            }
        }
        if (rec.act === 'listener' && below >= CONTAINER_MIN) {
            rec.act = null; // a delegation container: its items are listed themselves
            if (role === 'generic-clickable') rec.role = role = null;
        }
        return below + (rec.act ? 1 : 0);
    };

    const rootRec = { kids: [], onscreen: true };
    const doc = document;
    if (doc.body) {
        walk(doc.body, {
            win: topWin, ox: 0, oy: 0, clip: viewport, parentPointer: false, frame: null,
            listeners: topWin.__jamelListenerTypes || null
        }, rootRec);
    }

    // ---- the node cap: on-screen elements first, then off-screen, each in document order ------------
    const all = [];
    const collect = (rec) => {
        for (const k of rec.kids) {
            if (k.el) { all.push(k); collect(k); }
        }
    };
    collect(rootRec);
    if (all.length <= maxNodes) {
        for (const r of all) r.kept = true;
    } else {
        let budget = maxNodes;
        for (const pass of [true, false]) {
            for (const r of all) {
                if (budget === 0) break;
                if (r.onscreen === pass) { r.kept = true; budget -= 1; }
            }
        }
        // An iframe whose content is kept must keep its bid: elements inside are located through it.
        for (const r of all) {
            if (r.kept && r.frame) for (let f = r.frame; f && !f.kept; f = f.frame) f.kept = true;
        }
    }

    // ---- pass 2: bids and rendering ----------------------------------------------------------------
    const seen = new Set();
    const bidOf = (el) => {
        let bid = owner.get(el);
        if (bid === undefined || seen.has(bid)) {
            bid = String(topWin.__jamelNextBid++);
            owner.set(el, bid);
        }
        if (el.getAttribute(BID) !== bid) el.setAttribute(BID, bid);
        seen.add(bid);
        return bid;
    };
    const lines = [];
    const offscreen = []; // per line: '1' if its element is off screen, else '0' (one string: cheap to return)
    const onList = [];
    const offList = [];
    const bids = {}; // bid -> bids of the iframes around it, outermost first
    const frameChain = (rec) => (rec.frame ? [...frameChain(rec.frame), rec.frame.bid] : []);
    const push = (text, rec) => {
        offscreen.push(rec.onscreen ? '0' : '1');
        lines.push(text);
    };
    const render = (rec, depth) => {
        for (const k of rec.kids) {
            if (!k.el) {
                if (rec.kept) push(`${'  '.repeat(depth)}StaticText ${JSON.stringify(k.text)}`, rec);
                continue;
            }
            let childDepth = depth;
            if (k.kept && k.role) {
                const el = k.el;
                const bid = k.bid = bidOf(el);
                bids[bid] = frameChain(k);
                const name = nameOf(el, k.role);
                const st = states(el, k.role);
                push(`${'  '.repeat(depth)}[${bid}] ${k.role}${name ? ` ${JSON.stringify(name)}` : ''}${st.length ? `, ${st.join(', ')}` : ''}`, k);
                if (k.act) {
                    const item = { bid, role: k.role, name };
                    if (el.tagName === 'SELECT') item.options = Array.from(el.options).map((o) => clean(o.textContent));
                    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') item.input_type = (el.getAttribute('type') || el.tagName).toLowerCase();
                    (k.onscreen ? onList : offList).push(item);
                }
                childDepth = depth + 1;
            }
            render(k, childDepth);
        }
    };
    render(rootRec, 0);

    let active = doc.activeElement;
    for (;;) {
        let inner = null;
        if (active && active.shadowRoot && active.shadowRoot.activeElement) inner = active.shadowRoot.activeElement;
        else if (active && (active.tagName === 'IFRAME' || active.tagName === 'FRAME')) {
            try { inner = active.contentDocument && active.contentDocument.activeElement; } catch (e) { inner = null; }
        }
        if (!inner || inner === active) break;
        active = inner;
    }
    // One JSON string: Playwright's value-by-value serialization of a nested result costs more than the walk.
    return JSON.stringify({
        title: doc.title, url: topWin.location.href, tree: lines.join('\n'), offscreen: offscreen.join(''),
        interactive: onList.concat(offList), bids,
        focused: active && active.getAttribute ? active.getAttribute(BID) : null,
        scanned, truncated_scan: truncatedScan
    });
}
}

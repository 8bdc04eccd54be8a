// The element an action names by bid, looked up by BrowserEnv before it acts: one round trip that
// replaces Playwright's count(), an element handle and its main-world injected script (~330 KB
// compiled once per document).
//
// args: {bid, frames: bids of the same-origin iframes around it (outermost first), check}.
// Returns {found, box, blocker}:
// - found: the element is still in the page (open shadow roots are searched, as CSS locators pierce them);
// - box: [x, y, w, h] in viewport CSS px, as the agent saw it (read before any scrolling), for an
//   element of the top document; [] otherwise (the step record's target_box);
// - blocker (only with check, which first scrolls the element into view): '' when a click at its
//   centre would hit it, else what covers it. Checked in the element's own document through open
//   shadow roots (document.elementFromPoint stops at the host), then at the point in each parent
//   document up to the top, so a modal of the top page covering an iframe counts too.
(args) => {
    const sel = (bid) => `[data-jamel-bid="${CSS.escape(bid)}"]`;
    const find = (root, s) => {
        const hit = root.querySelector(s);
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) { const h = find(el.shadowRoot, s); if (h) return h; }
        }
        return null;
    };
    let doc = document;
    for (const f of args.frames) {
        const frame = find(doc, sel(f));
        doc = frame && frame.contentDocument;
        if (!doc) return { found: false, box: [], blocker: '' };
    }
    const el = find(doc, sel(args.bid));
    if (!el) return { found: false, box: [], blocker: '' };
    let box = [];
    if (!args.frames.length) {
        const r = el.getBoundingClientRect();
        box = [r.left, r.top, r.width, r.height];
    }
    if (!args.check) return { found: true, box, blocker: '' };
    return { found: true, box, blocker: coverOf(el) };

    function coverOf(el) {
        el.scrollIntoView({ block: 'center', inline: 'center' });
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height) return 'it has no size (hidden)';
        const up = (n) => n.assignedSlot || n.parentNode || n.host || null;  // flat-tree parent
        const within = (n, anc) => { for (let c = n; c; c = up(c)) if (c === anc) return true; return false; };
        const hit = (d, x, y) => {
            let top = d.elementFromPoint(x, y);
            while (top && top.shadowRoot) {
                const inner = top.shadowRoot.elementFromPoint(x, y);
                if (!inner || inner === top) break;
                top = inner;
            }
            return top;
        };
        const describe = (top) => {
            const b = top.closest('[role=dialog],[role=alertdialog],dialog,[aria-modal=true]') || top;
            const name = b.getAttribute('aria-label') || (b.id ? '#' + b.id : b.className || b.tagName);
            const bid = b.getAttribute('data-jamel-bid');
            return `covered by ${bid ? '[' + bid + '] ' : ''}${b.tagName.toLowerCase()} ${JSON.stringify(String(name).slice(0, 60))} (close or answer it first)`;
        };
        let x = r.left + r.width / 2, y = r.top + r.height / 2;
        const top = hit(el.ownerDocument, x, y);
        if (top && !within(top, el) && !within(el, top)
            && !(el.labels && Array.from(el.labels).some((l) => within(top, l)))) return describe(top);
        for (let win = el.ownerDocument.defaultView; win && win.frameElement; win = win.parent) {
            const frame = win.frameElement;  // null when the parent is cross-origin
            const fr = frame.getBoundingClientRect();
            x += fr.left + frame.clientLeft;
            y += fr.top + frame.clientTop;
            const outer = hit(frame.ownerDocument, x, y);
            if (outer && outer !== frame && !within(frame, outer)) return describe(outer);
        }
        return '';
    }
}

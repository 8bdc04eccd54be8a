// Marks elements with stable ids (bids) and renders the page's accessibility view.
//
// Called as `page.evaluate(source, {maxNodes})`. A bid is written once into the element's
// `data-jamel-bid` attribute and never changes while the element lives, so ids stay stable across
// steps; new elements get the next free number. Reloading the page renumbers in document order,
// which is deterministic for a deterministic app.
(args) => {
    const BID = 'data-jamel-bid';
    const doc = document;
    const win = window;
    if (win.__jamelNextBid === undefined) {
        win.__jamelNextBid = 1;
    }

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
    const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'META', 'LINK', 'HEAD', 'svg', 'SVG']);

    const roleOf = (el) => {
        const explicit = (el.getAttribute('role') || '').trim().split(/\s+/)[0];
        if (explicit && explicit !== 'presentation' && explicit !== 'none') return explicit;
        const f = IMPLICIT[el.tagName];
        return f ? f(el) : null;
    };

    const hidden = (el) => {
        if (el.hidden || el.getAttribute('aria-hidden') === 'true') return true;
        const style = win.getComputedStyle(el);
        return style.display === 'none' || style.visibility === 'hidden';
    };

    const clean = (s) => (s || '').replace(/\s+/g, ' ').trim().slice(0, 120);

    const nameOf = (el, role) => {
        const labelled = el.getAttribute('aria-labelledby');
        if (labelled) {
            const text = labelled.split(/\s+/).map((id) => doc.getElementById(id)).filter(Boolean)
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
        if (['button', 'link', 'heading', 'tab', 'option', 'menuitem', 'listitem', 'cell', 'columnheader',
            'switch', 'treeitem', 'LabelText', 'menuitemcheckbox', 'menuitemradio', 'checkbox', 'radio'].includes(role)) {
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
        if (['textbox', 'searchbox', 'spinbutton', 'slider', 'combobox'].includes(role) && 'value' in el) {
            const v = el.tagName === 'SELECT' ? (el.selectedOptions[0] ? el.selectedOptions[0].textContent : '') : el.value;
            out.push(`value=${JSON.stringify(clean(v))}`);
            const ph = el.getAttribute('placeholder');
            if (ph && !v) out.push(`placeholder=${JSON.stringify(clean(ph))}`);
        }
        if (el.required) out.push('required');
        if (el.getAttribute('aria-invalid') === 'true') out.push('invalid');
        if (doc.activeElement === el) out.push('focused');
        return out;
    };

    const lines = [];
    const interactive = [];
    let nodes = 0;
    const maxNodes = args.maxNodes || 5000;

    const walk = (el, depth) => {
        if (nodes >= maxNodes || SKIP_TAGS.has(el.tagName) || hidden(el)) return;
        nodes += 1;
        let role = roleOf(el);
        const focusable = el.tabIndex >= 0 && el.hasAttribute('tabindex');
        const clickable = el.hasAttribute('onclick') || (focusable && !role);
        if (!role && clickable) role = 'generic-clickable';
        let childDepth = depth;
        if (role) {
            let bid = el.getAttribute(BID);
            if (!bid) {
                bid = String(win.__jamelNextBid++);
                el.setAttribute(BID, bid);
            }
            const name = nameOf(el, role);
            const st = states(el, role);
            lines.push(`${'  '.repeat(depth)}[${bid}] ${role}${name ? ` ${JSON.stringify(name)}` : ''}${st.length ? `, ${st.join(', ')}` : ''}`);
            if ((INTERACTIVE.has(role) || clickable) && !(el.disabled) && !(role === 'option' && el.tagName === 'OPTION')) {
                const item = { bid, role, name };
                if (el.tagName === 'SELECT') item.options = Array.from(el.options).map((o) => clean(o.textContent));
                if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') item.input_type = (el.getAttribute('type') || el.tagName).toLowerCase();
                interactive.push(item);
            }
            childDepth = depth + 1;
            // Leaf-like controls: their text is already the name.
            if (['button', 'link', 'option', 'textbox', 'searchbox', 'heading', 'tab', 'menuitem'].includes(role)) {
                return;
            }
        }
        for (const child of el.childNodes) {
            if (child.nodeType === 3) {
                const text = clean(child.textContent);
                if (text) lines.push(`${'  '.repeat(childDepth)}StaticText ${JSON.stringify(text)}`);
            } else if (child.nodeType === 1) {
                walk(child, childDepth);
            }
        }
        if (el.shadowRoot) {
            for (const child of el.shadowRoot.children) walk(child, childDepth);
        }
    };
    if (doc.body) walk(doc.body, 0);
    return {
        title: doc.title, url: win.location.href, tree: lines.join('\n'), interactive,
        focused: doc.activeElement && doc.activeElement.getAttribute ? doc.activeElement.getAttribute(BID) : null
    };
}

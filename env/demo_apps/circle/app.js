// JAMEL Circle: a small social network written the way Preact apps are (function components, hooks,
// handlers attached by Preact). No build step: htm tagged templates compile to preact.h at runtime.
// Deterministic: no Math.random, dates relative to a fixed "today", no timer outlives a step.
'use strict';
const { h, render } = preact;
const { useState, useEffect, useRef } = preactHooks;
const html = htm.bind(h);

const TODAY = '2025-01-01';
const EMAIL = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;
const TAKEN = ['admin', 'circle', 'alex', 'sam'];
const PEOPLE = [
  { id: 'sam', name: 'Sam Rivera', bio: 'Runner and baker', follows: true },
  { id: 'lee', name: 'Lee Park', bio: 'Photos of bridges', follows: false },
  { id: 'ada', name: 'Ada Stone', bio: 'Compilers, tea', follows: false },
  { id: 'noor', name: 'Noor Haddad', bio: 'City cyclist', follows: false },
];
const POSTS = [
  { id: 1, by: 'sam', text: 'Sourdough day 3: finally some bubbles! #baking', likes: 4, liked: false, saved: false, comments: [{ by: 'lee', text: 'Looks great' }] },
  { id: 2, by: 'lee', text: 'Which bridge should I shoot next? #photo', likes: 9, liked: false, saved: false, comments: [],
    poll: { options: ['Golden Gate', 'Tower Bridge', 'Charles Bridge'], votes: [3, 5, 2], mine: -1 } },
  { id: 3, by: 'ada', text: 'Wrote a tiny parser today. #code #compilers', likes: 2, liked: false, saved: false, comments: [] },
  { id: 4, by: 'noor', text: 'Bike to work day is on Friday! #cycling', likes: 6, liked: false, saved: false, comments: [],
    event: { date: '2025-01-03', going: 0 } },
  { id: 5, by: 'sam', text: 'Marathon training: week 4 done. #running', likes: 11, liked: false, saved: false, comments: [] },
  { id: 6, by: 'ada', text: 'Tea recommendation thread 🍵 #tea', likes: 1, liked: false, saved: false, comments: [] },
];
const TAGS = ['baking', 'photo', 'code', 'compilers', 'cycling', 'running', 'tea'];

const route = () => { const p = (location.hash.replace(/^#\/?/, '') || 'feed').split('/'); return { view: p[0], arg: p[1] || '' }; };
const name = (id, me) => (id === 'me' ? me : (PEOPLE.find((p) => p.id === id) || { name: id }).name);

function Welcome({ onDone }) {
  const [user, setUser] = useState('');
  const [err, setErr] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const u = user.trim().toLowerCase();
    if (!/^[a-z0-9_]{3,15}$/.test(u)) setErr('3-15 letters, digits or _.');
    else if (TAKEN.includes(u)) setErr(`@${u} is taken. Try @${u}_${u.length}.`);
    else onDone(u);
  };
  return html`<div class="overlay"><form class="dialog" onSubmit=${submit}>
    <h2>Welcome to Circle</h2><p>Pick a username to post and comment. <a href="#/guidelines">Community guidelines</a></p>
    <div class="row"><input placeholder="username" value=${user} onInput=${(e) => { setUser(e.target.value); setErr(''); }} />
      <button type="submit" class="primary">Join</button></div>
    ${err && html`<p class="error">${err}</p>`}
    <button type="button" onClick=${() => onDone(null)}>Browse as guest</button>
  </form></div>`;
}

function Composer({ me, onPost, mutedWords }) {
  const [text, setText] = useState('');
  const [err, setErr] = useState('');
  const [audience, setAudience] = useState('public');
  const post = () => {
    const t = text.trim();
    if (!me) { setErr('Guests cannot post. Reload and pick a username.'); return; }
    if (!t) { setErr('Write something first.'); return; }
    if (t.length > 200) { setErr('Posts are at most 200 characters.'); return; }
    if (mutedWords.some((w) => t.toLowerCase().includes(w))) { setErr('Your post contains a word you muted.'); return; }
    onPost(t, audience); setText(''); setErr('');
  };
  return html`<div class="panel">
    <textarea rows="2" cols="60" placeholder="What's happening? (Ctrl+Enter to post)" value=${text}
      onInput=${(e) => { setText(e.target.value); setErr(''); }}
      onKeyDown=${(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) post(); }}></textarea>
    <div class="row"><span class=${text.length > 200 ? 'error' : 'muted'}>${text.length}/200</span>
      ${/@\w*$/.test(text) && html`<span class="muted">Mention: ${PEOPLE.map((p) => '@' + p.id).join(' ')}</span>`}
      <select value=${audience} onChange=${(e) => setAudience(e.target.value)}><option value="public">Everyone</option><option value="friends">Friends</option></select>
      <button class="primary" onClick=${post}>Post</button></div>
    ${err && html`<p class="error">${err}</p>`}
  </div>`;
}

function PostCard({ p, me, selected, api }) {
  const [menu, setMenu] = useState(false);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(p.text);
  const [comment, setComment] = useState('');
  const [showComments, setShowComments] = useState(false);
  const [burst, setBurst] = useState(false);
  const [guests, setGuests] = useState('1');
  const [rsvpMsg, setRsvpMsg] = useState('');
  const mine = p.by === 'me';
  const saveEdit = () => {
    if (!draft.trim()) return;
    api.update(p.id, { text: draft.trim(), edited: true }); setEditing(false);
  };
  const rsvp = (e) => {
    e.preventDefault();
    const n = Number(guests);
    if (!Number.isInteger(n) || n < 1 || n > 5) setRsvpMsg('Bring 1 to 5 people.');
    else if (p.event.date < TODAY) setRsvpMsg('This event is over.');
    else { api.update(p.id, { event: { ...p.event, going: p.event.going + n } }); setRsvpMsg(`You're going with ${n - 1} guest(s).`); }
  };
  return html`<article class=${'post' + (selected ? ' sel' : '')} onDblClick=${() => { if (!editing) { api.like(p.id, true); setBurst(true); } }}>
    <div class="row"><b>${name(p.by, me)}</b><span class="muted">@${p.by}</span>${p.edited && html`<span class="muted">(edited)</span>`}
      <div class="hover" onMouseEnter=${() => setMenu(true)} onMouseLeave=${() => setMenu(false)}>
        <button onClick=${() => setMenu(!menu)}>⋯</button>
        ${menu && html`<div class="menu">
          <div class="mi" onClick=${() => { api.toast('Link copied: circle.test/p/' + p.id); setMenu(false); }}>Copy link</div>
          ${mine ? html`<div class="mi" onClick=${() => { setDraft(p.text); setEditing(true); setMenu(false); }}>Edit</div>
            <div class="mi" onClick=${() => { api.remove(p.id); }}>Delete</div>`
            : html`<div class="mi" onClick=${() => { api.report(p); setMenu(false); }}>Report</div>
            <div class="mi" onClick=${() => api.hide(p.id)}>Hide</div>`}
        </div>`}
      </div></div>
    ${editing ? html`<div class="row"><input value=${draft} size="60" onInput=${(e) => setDraft(e.target.value)}
        onKeyDown=${(e) => { if (e.key === 'Enter') saveEdit(); if (e.key === 'Escape') { e.stopPropagation(); setEditing(false); } }} />
        <button onClick=${saveEdit}>Save</button></div>`
      : html`<p>${p.text.split(/(#\w+)/).map((part, i) => (part.startsWith('#')
          ? html`<a key=${i} href=${'#/tag/' + part.slice(1)}>${part}</a>` : part))}</p>`}
    ${burst && p.liked && html`<span class="burst">❤</span>`}
    ${p.poll && html`<div class="poll">${p.poll.options.map((o, i) => {
      const total = p.poll.votes.reduce((a, b) => a + b, 0);
      return html`<label key=${i} class="row"><input type="radio" name=${'poll' + p.id} checked=${p.poll.mine === i}
        onChange=${() => api.vote(p.id, i)} /> ${o} ${p.poll.mine >= 0 && html`<span class="muted">${Math.round((100 * p.poll.votes[i]) / total)}%</span>`}</label>`; })}
      ${p.poll.mine >= 0 && html`<button onClick=${() => api.vote(p.id, -1)}>Remove vote</button>`}</div>`}
    ${p.event && html`<form class="row" onSubmit=${rsvp}>📅 ${p.event.date} · ${p.event.going} going
      <input type="number" value=${guests} onInput=${(e) => setGuests(e.target.value)} /> <button type="submit">RSVP</button>
      ${rsvpMsg && html`<span>${rsvpMsg}</span>`}</form>`}
    <div class="row">
      <button onClick=${() => api.like(p.id)}>${p.liked ? '❤' : '♡'} ${p.likes}</button>
      <button onClick=${() => setShowComments(!showComments)}>💬 ${p.comments.length}</button>
      <button onClick=${() => api.save(p.id)}>${p.saved ? 'Saved' : 'Save'}</button>
    </div>
    ${showComments && html`<div class="comments">
      ${p.comments.map((c, i) => html`<p key=${i}><b>${name(c.by, me)}</b> ${c.text}</p>`)}
      <input placeholder="Add a comment" value=${comment} onInput=${(e) => setComment(e.target.value)}
        onKeyDown=${(e) => { if (e.key === 'Enter') { if (!me) api.toast('Guests cannot comment.'); else if (comment.trim()) { api.comment(p.id, comment.trim()); setComment(''); } } }} />
    </div>`}
  </article>`;
}

function Feed({ posts, me, api, title, mutedWords, composer }) {
  const [sel, setSel] = useState(-1);
  const [limit, setLimit] = useState(4);
  const [sort, setSort] = useState('new');
  let shown = posts.filter((p) => !p.hidden && !mutedWords.some((w) => p.text.toLowerCase().includes(w)));
  if (sort === 'top') shown = shown.slice().sort((a, b) => b.likes - a.likes || a.id - b.id);
  const page = shown.slice(0, limit);
  useEffect(() => {
    const onKey = (e) => {
      if (api.blocked() || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName)) return;
      if (e.key === 'j' || e.key === 'ArrowDown') setSel(Math.min(sel + 1, page.length - 1));
      else if (e.key === 'k' || e.key === 'ArrowUp') setSel(Math.max(sel - 1, 0));
      else if (e.key === 'l' && sel >= 0) api.like(page[sel].id);
      else if (e.key === 's' && sel >= 0) api.save(page[sel].id);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });
  return html`<section>
    <h1>${title}</h1>
    ${composer && html`<${Composer} me=${me} onPost=${api.post} mutedWords=${mutedWords} />`}
    <div class="row"><label>Sort <select value=${sort} onChange=${(e) => setSort(e.target.value)}><option value="new">Newest</option><option value="top">Top</option></select></label>
      ${posts.some((p) => p.hidden) && html`<button onClick=${api.unhideAll}>Show hidden posts</button>`}</div>
    ${page.length === 0 && html`<p class="muted">Nothing here yet.</p>`}
    ${page.map((p, i) => html`<${PostCard} key=${p.id} p=${p} me=${me} selected=${i === sel} api=${api} />`)}
    ${shown.length > limit && html`<button onClick=${() => setLimit(limit + 3)}>Load more</button>`}
    ${shown.length > 0 && shown.length <= limit && limit > 4 && html`<p class="muted">You're all caught up.</p>`}
  </section>`;
}

function Explore({ posts, api, me }) {
  const [q, setQ] = useState('');
  const [sugg, setSugg] = useState(-1);
  const [applied, setApplied] = useState('');
  const [tab, setTab] = useState('posts');
  const [confirm, setConfirm] = useState(null);
  const options = q.length >= 1 ? [...TAGS.map((t) => '#' + t), ...PEOPLE.map((p) => '@' + p.id)].filter((s) => s.slice(1).startsWith(q.toLowerCase().replace(/^[#@]/, ''))) : [];
  const onKey = (e) => {
    if (e.key === 'ArrowDown' && options.length) { setSugg((sugg + 1) % options.length); e.preventDefault(); }
    else if (e.key === 'ArrowUp' && options.length) { setSugg(sugg <= 0 ? options.length - 1 : sugg - 1); e.preventDefault(); }
    else if (e.key === 'Escape') { setSugg(-1); setQ(''); }
  };
  const submit = (e) => {
    e.preventDefault();
    if (sugg >= 0 && options[sugg]) { const o = options[sugg]; setSugg(-1);
      if (o[0] === '#') { location.hash = '#/tag/' + o.slice(1); return; } setQ(o); setApplied(o); setTab('people'); return; }
    setApplied(q.trim());
  };
  const term = applied.toLowerCase().replace(/^[#@]/, '');
  const postHits = posts.filter((p) => term && p.text.toLowerCase().includes(term));
  const people = PEOPLE.filter((p) => !term || p.id.includes(term) || p.name.toLowerCase().includes(term));
  return html`<section>
    <h1>Explore</h1>
    <form class="row rel" onSubmit=${submit}>
      <input type="search" placeholder="Search posts, #tags, @people" value=${q} onInput=${(e) => { setQ(e.target.value); setSugg(-1); }} onKeyDown=${onKey} size="40" />
      <button type="submit">Search</button>
      ${options.length > 0 && q !== applied && html`<div class="hint">${options.map((o, i) => html`<div key=${o} class=${'mi' + (i === sugg ? ' sel' : '')}
        onClick=${() => { setQ(o); setApplied(o); }}>${o}</div>`)}</div>`}
    </form>
    <div class="row">${['posts', 'people', 'tags'].map((t) => html`<button key=${t} class=${tab === t ? 'primary' : ''} onClick=${() => setTab(t)}>${t}</button>`)}</div>
    ${tab === 'posts' && (applied ? (postHits.length ? postHits.map((p) => html`<${PostCard} key=${p.id} p=${p} me=${me} api=${api} />`)
      : html`<p class="muted">No posts about “${applied}”. <button onClick=${() => { setQ(''); setApplied(''); }}>Clear</button></p>`)
      : html`<p class="muted">Search for something, or pick a tag.</p>`)}
    ${tab === 'people' && html`<ul class="list">${people.map((p) => html`<li key=${p.id}><span class="grow"><b>${p.name}</b> <span class="muted">${p.bio}</span></span>
      <button onClick=${() => (p.follows ? setConfirm(p) : api.follow(p.id, true))}>${p.follows ? 'Following' : 'Follow'}</button></li>`)}</ul>`}
    ${tab === 'tags' && html`<div class="row">${TAGS.map((t) => html`<a key=${t} class="chip" href=${'#/tag/' + t}>#${t}</a>`)}</div>`}
    ${confirm && html`<div class="overlay"><div class="dialog"><p>Unfollow ${confirm.name}?</p><div class="row">
      <button class="primary" onClick=${() => { api.follow(confirm.id, false); setConfirm(null); }}>Unfollow</button>
      <button onClick=${() => setConfirm(null)}>Cancel</button></div></div></div>`}
  </section>`;
}

function Notifications({ items, setItems }) {
  const [mentions, setMentions] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const shown = items.filter((n) => !mentions || n.kind === 'mention');
  return html`<section>
    <h1>Notifications</h1>
    <div class="row"><label><input type="checkbox" checked=${mentions} onChange=${(e) => setMentions(e.target.checked)} /> Mentions only</label>
      ${items.length > 0 && html`<button onClick=${() => setItems(items.map((n) => ({ ...n, read: true })))}>Mark all read</button>
      <button onClick=${() => setConfirm(true)}>Clear all</button>`}</div>
    ${shown.length === 0 ? html`<p class="muted">No notifications.</p>` : html`<ul class="list">${shown.map((n) => html`<li key=${n.id} class=${n.read ? 'read' : ''}>
      <label><input type="checkbox" checked=${n.read} onChange=${() => setItems(items.map((x) => (x.id === n.id ? { ...x, read: !x.read } : x)))} /> ${n.text}</label></li>`)}</ul>`}
    ${confirm && html`<div class="overlay"><div class="dialog"><p>Clear every notification?</p><div class="row">
      <button class="primary" onClick=${() => { setItems([]); setConfirm(false); }}>Clear</button><button onClick=${() => setConfirm(false)}>Cancel</button></div></div></div>`}
  </section>`;
}

function Profile({ me, profile, setProfile, posts, api }) {
  const [form, setForm] = useState(profile);
  const [msg, setMsg] = useState('');
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const save = (e) => {
    e.preventDefault();
    if (form.display.trim().length < 2) setMsg('Display name: at least 2 characters.');
    else if (form.email && !EMAIL.test(form.email)) setMsg('Email is not valid.');
    else if (form.website && !/^https:\/\/[\w.-]+\.[a-z]{2,}(\/\S*)?$/i.test(form.website)) setMsg(form.website.startsWith('http://') ? 'Use https.' : 'Website must be a https:// URL.');
    else if (form.birthday && form.birthday > TODAY) setMsg('Birthday cannot be in the future.');
    else if (form.bio.length > 80) setMsg('Bio: 80 characters at most.');
    else { setProfile(form); setMsg('Profile saved.'); }
  };
  if (!me) return html`<section class="panel"><h1>Guest</h1><p>Reload the page and pick a username to get a profile.</p></section>`;
  return html`<section>
    <h1>${profile.display} <span class="muted">@${me}</span></h1>
    <form class="panel" onSubmit=${save}>
      <div class="row"><label>Display name <input value=${form.display} onInput=${set('display')} /></label>
        <label>Color <select value=${form.color} onChange=${set('color')}><option>teal</option><option>purple</option><option>orange</option></select></label></div>
      <div class="row"><label>Email <input type="email" value=${form.email} onInput=${set('email')} /></label>
        <label>Website <input type="url" value=${form.website} onInput=${set('website')} /></label></div>
      <div class="row"><label>Birthday <input type="date" value=${form.birthday} onInput=${set('birthday')} /></label>
        <label>Bio <input value=${form.bio} onInput=${set('bio')} size="40" /></label></div>
      <button type="submit" class="primary">Save profile</button> <span>${msg}</span>
    </form>
    <${Feed} posts=${posts.filter((p) => p.by === 'me')} me=${me} api=${api} title="Your posts" mutedWords=${[]} />
  </section>`;
}

function Settings({ settings, setSettings }) {
  const [word, setWord] = useState('');
  const [err, setErr] = useState('');
  const [del, setDel] = useState(0);
  const [confirmText, setConfirmText] = useState('');
  const addWord = (e) => {
    e.preventDefault();
    const w = word.trim().toLowerCase();
    if (w.length < 2) setErr('Muted words need 2+ characters.');
    else if (settings.muted.includes(w)) setErr('Already muted.');
    else { setSettings({ ...settings, muted: [...settings.muted, w] }); setWord(''); setErr(''); }
  };
  return html`<section class="panel">
    <h1>Settings</h1>
    <label><input type="checkbox" checked=${settings.private} onChange=${(e) => setSettings({ ...settings, private: e.target.checked })} /> Private account</label>
    ${settings.private && html`<p class="muted">Only followers see your posts.</p>`}
    <h3>Muted words</h3>
    <form class="row" onSubmit=${addWord}><input placeholder="Mute a word" value=${word} onInput=${(e) => setWord(e.target.value)} />
      <button type="submit">Mute</button>${err && html`<span class="error">${err}</span>`}</form>
    <div class="row">${settings.muted.map((w) => html`<span key=${w} class="chip" onClick=${() => setSettings({ ...settings, muted: settings.muted.filter((x) => x !== w) })}>${w} ✕</span>`)}</div>
    <h3>Danger zone</h3>
    ${del === 0 && html`<button onClick=${() => setDel(1)}>Delete account</button>`}
    ${del === 1 && html`<form class="row" onSubmit=${(e) => { e.preventDefault(); if (confirmText === 'DELETE') location.hash = '#/deleted'; else setErr('Type DELETE to confirm.'); }}>
      <input placeholder="Type DELETE" value=${confirmText} onInput=${(e) => setConfirmText(e.target.value)} />
      <button type="submit">Delete forever</button><button type="button" onClick=${() => setDel(0)}>Cancel</button></form>`}
  </section>`;
}

function App() {
  const [r, setR] = useState(route());
  const [me, setMe] = useState(undefined); // undefined: the welcome pop-up is open; null: guest
  const [posts, setPosts] = useState(POSTS);
  const [people, setPeople] = useState(PEOPLE);
  const [notes, setNotes] = useState([{ id: 1, kind: 'like', text: 'Sam liked your comment', read: false },
    { id: 2, kind: 'mention', text: 'Lee mentioned you in a post', read: false }, { id: 3, kind: 'follow', text: 'Ada followed you', read: true }]);
  const [toast, setToast] = useState('');
  const [report, setReport] = useState(null);
  const [reason, setReason] = useState('spam');
  const [other, setOther] = useState('');
  const [reportErr, setReportErr] = useState('');
  const [help, setHelp] = useState(false);
  const [profile, setProfile] = useState({ display: 'New member', email: '', website: '', birthday: '', bio: '', color: 'teal' });
  const [settings, setSettings] = useState({ private: false, muted: [] });
  const nextId = useRef(100);
  useEffect(() => {
    const onHash = () => setR(route());
    window.addEventListener('hashchange', onHash);
    const onKey = (e) => {
      if (e.key === 'Escape') { setReport(null); setHelp(false); setToast(''); }
      else if (e.key === '?' && !['INPUT', 'TEXTAREA'].includes(e.target.tagName)) setHelp(true);
    };
    document.addEventListener('keydown', onKey);
    return () => { window.removeEventListener('hashchange', onHash); document.removeEventListener('keydown', onKey); };
  }, []);
  const upd = (id, patch) => setPosts((ps) => ps.map((p) => (p.id === id ? { ...p, ...(typeof patch === 'function' ? patch(p) : patch) } : p)));
  const api = {
    blocked: () => me === undefined || !!report || help,
    toast: setToast,
    post: (text, audience) => { setPosts((ps) => [{ id: nextId.current++, by: 'me', text, likes: 0, liked: false, saved: false, comments: [], audience }, ...ps]);
      setToast(audience === 'friends' ? 'Posted to friends.' : 'Posted.'); },
    like: (id, only) => upd(id, (p) => (only && p.liked ? {} : { liked: !p.liked, likes: p.likes + (p.liked ? -1 : 1) })),
    save: (id) => upd(id, (p) => ({ saved: !p.saved })),
    update: upd,
    comment: (id, text) => upd(id, (p) => ({ comments: [...p.comments, { by: 'me', text }] })),
    vote: (id, i) => upd(id, (p) => { const votes = p.poll.votes.slice(); if (p.poll.mine >= 0) votes[p.poll.mine] -= 1; if (i >= 0) votes[i] += 1;
      return { poll: { ...p.poll, votes, mine: i } }; }),
    remove: (id) => { setPosts((ps) => ps.filter((p) => p.id !== id)); setToast('Post deleted.'); },
    hide: (id) => { upd(id, { hidden: true }); setToast('Post hidden.'); },
    unhideAll: () => setPosts((ps) => ps.map((p) => ({ ...p, hidden: false }))),
    report: (p) => { setReport(p); setReason('spam'); setOther(''); setReportErr(''); },
    follow: (id, v) => { const p = PEOPLE.find((x) => x.id === id); p.follows = v; setPeople(PEOPLE.slice()); setToast(v ? 'Following ' + p.name : 'Unfollowed ' + p.name); },
  };
  const unread = notes.filter((n) => !n.read).length;
  if (r.view === 'guidelines') return html`<main><h1>Community guidelines</h1><p>Be kind. There is no link back from this page.</p></main>`;
  if (r.view === 'deleted') return html`<main><h1>Account deleted</h1><p>Goodbye. Reload to start over.</p></main>`;
  let body;
  const followed = people.filter((p) => p.follows).map((p) => p.id);
  if (r.view === 'feed') body = html`<${Feed} posts=${posts.filter((p) => p.by === 'me' || followed.includes(p.by) || p.id <= 3)} me=${me} api=${api} title="Home" mutedWords=${settings.muted} composer=${true} />`;
  else if (r.view === 'explore') body = html`<${Explore} posts=${posts} api=${api} me=${me} />`;
  else if (r.view === 'tag') body = html`<${Feed} key=${r.arg} posts=${posts.filter((p) => p.text.toLowerCase().includes('#' + r.arg))} me=${me} api=${api} title=${'#' + r.arg} mutedWords=${settings.muted} />`;
  else if (r.view === 'saved') body = html`<${Feed} posts=${posts.filter((p) => p.saved)} me=${me} api=${api} title="Saved" mutedWords=${[]} />`;
  else if (r.view === 'notifications') body = html`<${Notifications} items=${notes} setItems=${setNotes} />`;
  else if (r.view === 'profile') body = html`<${Profile} me=${me} profile=${profile} setProfile=${setProfile} posts=${posts} api=${api} />`;
  else if (r.view === 'settings') body = html`<${Settings} settings=${settings} setSettings=${setSettings} />`;
  else body = html`<section class="panel"><h1>Not found</h1><a href="#/feed">Home</a></section>`;
  return html`<div>
    <header class="top"><span class="brand">◯ Circle</span>
      <nav class="nav">${[['feed', 'Home'], ['explore', 'Explore'], ['notifications', 'Notifications'], ['saved', 'Saved'], ['profile', 'Profile'], ['settings', 'Settings']].map(([id, label]) =>
        html`<a key=${id} href=${'#/' + id} class=${r.view === id ? 'on' : ''}>${label}${id === 'notifications' && unread > 0 && html`<span class="count">${unread}</span>`}</a>`)}</nav>
      <span class="muted">${me ? '@' + me : me === null ? 'guest' : ''}</span></header>
    <main>${body}</main>
    ${toast && html`<div class="toast">${toast} <button onClick=${() => setToast('')}>✕</button></div>`}
    ${report && html`<div class="overlay"><form class="dialog" onSubmit=${(e) => { e.preventDefault();
        if (reason === 'other' && other.trim().length < 5) { setReportErr('Tell us what is wrong (5+ characters).'); return; }
        setReport(null); setToast('Thanks, we will review this post.'); }}>
      <h2>Report post</h2>
      ${['spam', 'harassment', 'other'].map((x) => html`<label key=${x} class="row"><input type="radio" name="reason" checked=${reason === x} onChange=${() => setReason(x)} /> ${x}</label>`)}
      ${reason === 'other' && html`<input placeholder="Details" value=${other} onInput=${(e) => setOther(e.target.value)} />`}
      ${reportErr && html`<p class="error">${reportErr}</p>`}
      <div class="row"><button type="submit" class="primary">Send report</button><button type="button" onClick=${() => setReport(null)}>Cancel</button></div>
    </form></div>`}
    ${help && html`<div class="overlay"><div class="dialog"><h2>Shortcuts</h2><p>j/k or ↑/↓ move · l like · s save · ? help · Esc close</p>
      <button onClick=${() => setHelp(false)}>Close</button></div></div>`}
    ${me === undefined && html`<${Welcome} onDone=${(u) => { setMe(u); if (u) setProfile({ ...profile, display: u }); setToast(u ? 'Welcome, @' + u + '!' : 'Browsing as guest.'); }} />`}
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));

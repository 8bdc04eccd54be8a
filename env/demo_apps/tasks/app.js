// JAMEL Tasks: a task manager written the way React apps are (function components, hooks, handlers
// attached by React). No build step: htm tagged templates compile to React.createElement at runtime.
// Deterministic: no Math.random, dates relative to a fixed "today", no timer outlives a step.
'use strict';
const { useState, useEffect, useRef } = React;
const html = htm.bind(React.createElement);

const TODAY = '2025-01-01';
const addDays = (iso, n) => {
  const d = new Date(iso + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
};
const weekday = (iso) => new Date(iso + 'T00:00:00Z').getUTCDay();
const EMAIL = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;

const SEED = [
  { id: 1, title: 'Write project brief', done: false, prio: 2, due: TODAY, tags: ['work'], project: 1, subtasks: [], comments: [], notes: '' },
  { id: 2, title: 'Book dentist appointment', done: false, prio: 3, due: addDays(TODAY, -2), tags: ['home'], project: 0, subtasks: [], comments: [], notes: '' },
  { id: 3, title: 'Review pull request #42', done: true, prio: 1, due: addDays(TODAY, 1), tags: ['work', 'code'], project: 1, subtasks: [], comments: [], notes: '' },
  { id: 4, title: 'Plan weekend trip', done: false, prio: 4, due: addDays(TODAY, 5), tags: ['travel'], project: 2, subtasks: [], comments: [], notes: '' },
  { id: 5, title: 'Pay electricity bill', done: false, prio: 2, due: TODAY, tags: ['home'], project: 0, subtasks: [], comments: [], notes: '' },
];
const PROJECTS = [
  { id: 1, name: 'Website relaunch', color: 'blue', archived: false, members: [] },
  { id: 2, name: 'Holidays', color: 'green', archived: false, members: [] },
];

function parseRoute() {
  const parts = (location.hash.replace(/^#\/?/, '') || 'inbox').split('/');
  return { view: parts[0], arg: parts[1] };
}
const go = (path) => { location.hash = '#/' + path; };

function CookieBanner({ onDone }) {
  const [custom, setCustom] = useState(false);
  const [analytics, setAnalytics] = useState(false);
  return html`<div className="overlay">
    <div className="dialog">
      <h2>Cookies</h2>
      <p>We use cookies to keep you signed in. <a href="#/privacy">Privacy policy</a></p>
      ${custom && html`<div className="row"><label><input type="checkbox" checked=${analytics}
          onChange=${(e) => setAnalytics(e.target.checked)} /> Analytics cookies</label></div>`}
      <div className="row">
        <button className="primary" onClick=${() => onDone('all')}>Accept all</button>
        <button onClick=${() => onDone('essential')}>Reject non-essential</button>
        ${custom ? html`<button onClick=${() => onDone(analytics ? 'analytics' : 'essential')}>Save choices</button>`
                 : html`<button onClick=${() => setCustom(true)}>Customize</button>`}
      </div>
    </div>
  </div>`;
}

function AccountMenu({ open, setOpen, onPick }) {
  const items = ['Profile', 'Keyboard shortcuts', 'Sign out'];
  const [sel, setSel] = useState(0);
  const onKey = (e) => {
    if (e.key === 'ArrowDown') { setSel((sel + 1) % items.length); e.preventDefault(); }
    else if (e.key === 'ArrowUp') { setSel((sel + items.length - 1) % items.length); e.preventDefault(); }
    else if (e.key === 'Enter' && open) { onPick(items[sel]); setOpen(false); }
  };
  return html`<div className="account" onMouseEnter=${() => setOpen(true)} onMouseLeave=${() => setOpen(false)} onKeyDown=${onKey}>
    <button onClick=${() => setOpen(!open)}>Alex ▾</button>
    ${open && html`<div className="menu">
      ${items.map((it, i) => html`<div key=${it} className=${'mi' + (i === sel ? ' sel' : '')}
        onClick=${() => { onPick(it); setOpen(false); }}>${it}</div>`)}
    </div>`}
  </div>`;
}

function QuickAdd({ onAdd, inputRef }) {
  const [text, setText] = useState('');
  const [err, setErr] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const raw = text.trim();
    if (!raw) { setErr('Type a task first.'); return; }
    if (raw.length > 80) { setErr('Keep it under 80 characters.'); return; }
    let prio = 3, due = '';
    const tags = [];
    const words = raw.split(/\s+/).filter((w) => {
      if (/^!(high|urgent)$/i.test(w)) { prio = 1; return false; }
      if (/^!low$/i.test(w)) { prio = 4; return false; }
      if (/^#\w+$/.test(w)) { tags.push(w.slice(1).toLowerCase()); return false; }
      if (/^today$/i.test(w)) { due = TODAY; return false; }
      if (/^tomorrow$/i.test(w)) { due = addDays(TODAY, 1); return false; }
      return true;
    });
    if (!words.length) { setErr('A task needs a title besides its tags.'); return; }
    onAdd({ title: words.join(' '), prio, due, tags });
    setText(''); setErr('');
  };
  return html`<form className="row" onSubmit=${submit}>
    <input ref=${inputRef} placeholder="Add a task (try #tag !high tomorrow)" value=${text}
      onChange=${(e) => { setText(e.target.value); setErr(''); }} size="40" />
    <button type="submit">Add</button>
    ${err && html`<span className="error">${err}</span>`}
  </form>`;
}

function TaskItem({ t, selected, onToggle, onRename, onOpen, onSelect, onTag, checked, onCheck }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(t.title);
  const [err, setErr] = useState('');
  const save = () => {
    const v = draft.trim();
    if (!v) { setErr('Title cannot be empty (Esc to cancel).'); return; }
    onRename(t.id, v); setEditing(false); setErr('');
  };
  const overdue = !t.done && t.due && t.due < TODAY;
  return html`<li className=${'task' + (t.done ? ' done' : '') + (selected ? ' sel' : '')}
      onDoubleClick=${() => { setDraft(t.title); setEditing(true); }} onClick=${() => onSelect(t.id)}>
    <input type="checkbox" checked=${checked} onChange=${(e) => onCheck(t.id, e.target.checked)} title="Select" />
    <input type="checkbox" checked=${t.done} onChange=${() => onToggle(t.id)} title="Done" />
    ${editing ? html`<span className="title"><input autoFocus value=${draft} onChange=${(e) => setDraft(e.target.value)}
        onKeyDown=${(e) => { if (e.key === 'Enter') save(); if (e.key === 'Escape') { setEditing(false); setErr(''); } }} />
        ${err && html`<span className="error"> ${err}</span>`}</span>`
      : html`<span className="title">${t.title}</span>`}
    ${t.tags.map((g) => html`<span key=${g} className="tag" onClick=${(e) => { e.stopPropagation(); onTag(g); }}>#${g}</span>`)}
    <span className="prio">P${t.prio}</span>
    ${t.due && html`<span className=${overdue ? 'error' : 'muted'}>${overdue ? 'overdue ' : ''}${t.due}</span>`}
    <button onClick=${(e) => { e.stopPropagation(); onOpen(t.id); }}>Open</button>
  </li>`;
}

function TaskList({ tasks, api, title }) {
  const [filter, setFilter] = useState('all');
  const [query, setQuery] = useState('');
  const [submitted, setSubmitted] = useState('');
  const [sort, setSort] = useState('created');
  const [checked, setChecked] = useState({});
  const [confirmBulk, setConfirmBulk] = useState(false);
  let shown = tasks.filter((t) => (filter === 'all' ? true : filter === 'done' ? t.done : !t.done));
  if (query) shown = shown.filter((t) => (t.title + ' ' + t.tags.join(' ')).toLowerCase().includes(query.toLowerCase()));
  if (api.tagFilter) shown = shown.filter((t) => t.tags.includes(api.tagFilter));
  const by = { created: (a, b) => a.id - b.id, priority: (a, b) => a.prio - b.prio || a.id - b.id,
    due: (a, b) => (a.due || '9999').localeCompare(b.due || '9999'), title: (a, b) => a.title.localeCompare(b.title) };
  shown = shown.slice().sort(by[sort]);
  const picked = shown.filter((t) => checked[t.id]);
  const allPicked = shown.length > 0 && picked.length === shown.length;

  useEffect(() => {
    const onKey = (e) => {
      if (api.modalOpen || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName)) return;
      const i = shown.findIndex((t) => t.id === api.selected);
      if (e.key === 'ArrowDown' || e.key === 'j') api.setSelected((shown[Math.min(i + 1, shown.length - 1)] || {}).id);
      else if (e.key === 'ArrowUp' || e.key === 'k') api.setSelected((shown[Math.max(i - 1, 0)] || {}).id);
      else if (e.key === 'Enter' && i >= 0) api.open(shown[i].id);
      else if (e.key === 'Delete' && i >= 0) api.remove([shown[i].id]);
      else if (e.key === 'x' && i >= 0) api.toggle(shown[i].id);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  return html`<section>
    <h1>${title} <span className="muted">${tasks.filter((t) => !t.done).length} open</span></h1>
    <${QuickAdd} onAdd=${api.add} inputRef=${api.quickRef} />
    <div className="row">
      ${['all', 'active', 'done'].map((f) => html`<button key=${f} className=${filter === f ? 'primary' : ''}
        onClick=${() => setFilter(f)}>${f[0].toUpperCase() + f.slice(1)}</button>`)}
      <form onSubmit=${(e) => { e.preventDefault(); setSubmitted(query); }}>
        <input type="search" placeholder="Search tasks" value=${query} onChange=${(e) => setQuery(e.target.value)} />
      </form>
      <label>Sort <select value=${sort} onChange=${(e) => setSort(e.target.value)}>
        <option value="created">Created</option><option value="priority">Priority</option>
        <option value="due">Due date</option><option value="title">Title</option></select></label>
      ${api.tagFilter && html`<span className="tag" onClick=${() => api.setTagFilter('')}>#${api.tagFilter} ✕</span>`}
    </div>
    ${submitted && html`<p className="muted">${shown.length} result(s) for “${submitted}”</p>`}
    <div className="row">
      <label><input type="checkbox" checked=${allPicked} onChange=${(e) => {
        const next = {}; if (e.target.checked) shown.forEach((t) => { next[t.id] = true; }); setChecked(next); }} /> Select all</label>
      ${picked.length > 0 && html`<button onClick=${() => { picked.forEach((t) => !t.done && api.toggle(t.id)); setChecked({}); }}>Mark ${picked.length} done</button>
        <button onClick=${() => setConfirmBulk(true)}>Delete selected</button>`}
      ${tasks.some((t) => t.done) && html`<button onClick=${api.clearDone}>Clear completed</button>`}
    </div>
    ${shown.length === 0 ? html`<div className="panel">
        <p>No tasks match.</p>
        ${(query || filter !== 'all' || api.tagFilter) && html`<button onClick=${() => { setQuery(''); setSubmitted(''); setFilter('all'); api.setTagFilter(''); }}>Clear search and filters</button>`}
      </div>`
      : html`<ul className="tasks">${shown.map((t) => html`<${TaskItem} key=${t.id} t=${t} selected=${api.selected === t.id}
          checked=${!!checked[t.id]} onCheck=${(id, v) => setChecked({ ...checked, [id]: v })}
          onToggle=${api.toggle} onRename=${api.rename} onOpen=${api.open} onSelect=${api.setSelected} onTag=${api.setTagFilter} />`)}</ul>`}
    ${confirmBulk && html`<${Confirm} text=${`Delete ${picked.length} task(s)?`} onNo=${() => setConfirmBulk(false)}
      onYes=${() => { api.remove(picked.map((t) => t.id)); setChecked({}); setConfirmBulk(false); }} />`}
  </section>`;
}

function Confirm({ text, onYes, onNo }) {
  return html`<div className="overlay"><div className="dialog">
    <p>${text}</p>
    <div className="row"><button className="primary" onClick=${onYes}>Yes</button><button onClick=${onNo}>Cancel</button></div>
  </div></div>`;
}

function TaskDetail({ task, api, projects }) {
  const [notes, setNotes] = useState(task.notes);
  const [due, setDue] = useState(task.due);
  const [prio, setPrio] = useState(String(task.prio));
  const [recurring, setRecurring] = useState(false);
  const [every, setEvery] = useState('7');
  const [msg, setMsg] = useState('');
  const [sub, setSub] = useState('');
  const [comment, setComment] = useState('');
  const [tag, setTag] = useState('');
  const [tagErr, setTagErr] = useState('');
  const save = () => {
    const p = Number(prio);
    if (!Number.isInteger(p) || p < 1 || p > 5) { setMsg('Priority must be a whole number from 1 to 5.'); return; }
    if (recurring && !(Number(every) >= 1 && Number(every) <= 365)) { setMsg('Repeat every 1 to 365 days.'); return; }
    let note = 'Saved.';
    if (due && due < TODAY) note = 'Saved, but the due date is in the past.';
    else if (due && (weekday(due) === 0 || weekday(due) === 6)) note = 'Saved (due on a weekend).';
    api.update(task.id, { notes, due, prio: p });
    setMsg(note);
  };
  const doneSubs = task.subtasks.filter((s) => s.done).length;
  const pct = task.subtasks.length ? Math.round((100 * doneSubs) / task.subtasks.length) : 0;
  return html`<section className="panel">
    <button onClick=${() => history.back()}>← Back</button>
    <h1>${task.title}</h1>
    <p className="muted">Project: ${(projects.find((p) => p.id === task.project) || { name: 'Inbox' }).name}</p>
    <div className="row"><label>Due <input type="date" value=${due} onChange=${(e) => setDue(e.target.value)} /></label>
      <button onClick=${() => setDue(TODAY)}>Today</button><button onClick=${() => setDue(addDays(TODAY, 1))}>Tomorrow</button>
      <button onClick=${() => setDue(addDays(TODAY, 7))}>Next week</button></div>
    <div className="row"><label>Priority <input type="number" min="1" max="5" value=${prio} onChange=${(e) => setPrio(e.target.value)} /></label>
      <label><input type="checkbox" checked=${recurring} onChange=${(e) => setRecurring(e.target.checked)} /> Repeats</label>
      ${recurring && html`<label>every <input type="number" value=${every} onChange=${(e) => setEvery(e.target.value)} /> days</label>`}</div>
    <div className="row"><textarea placeholder="Notes" rows="3" cols="50" value=${notes} onChange=${(e) => setNotes(e.target.value)}></textarea></div>
    <div className="row"><button className="primary" onClick=${save}>Save</button>
      <button onClick=${() => { api.duplicate(task.id); setMsg('Duplicated.'); }}>Duplicate</button>
      ${msg && html`<span className=${msg.startsWith('Saved') || msg === 'Duplicated.' ? 'ok' : 'error'}>${msg}</span>`}</div>
    <h3>Tags</h3>
    <form className="row" onSubmit=${(e) => { e.preventDefault(); const g = tag.trim().toLowerCase().replace(/^#/, '');
        if (!/^[a-z0-9-]{2,15}$/.test(g)) setTagErr('Tags are 2-15 letters, digits or dashes.');
        else if (task.tags.includes(g)) setTagErr('This tag is already there.');
        else { api.update(task.id, { tags: [...task.tags, g] }); setTag(''); setTagErr(''); } }}>
      ${task.tags.map((g) => html`<span key=${g} className="tag" onClick=${() => api.update(task.id, { tags: task.tags.filter((x) => x !== g) })}>#${g} ✕</span>`)}
      <input placeholder="New tag" value=${tag} onChange=${(e) => setTag(e.target.value)} />
      ${tagErr && html`<span className="error">${tagErr}</span>`}
    </form>
    <h3>Subtasks ${task.subtasks.length > 0 && html`<span className="muted">${pct}%</span>`}</h3>
    ${task.subtasks.length > 0 && html`<div className="bar"><div style=${{ width: pct + '%' }}></div></div>`}
    <ul>${task.subtasks.map((s, i) => html`<li key=${i}><label><input type="checkbox" checked=${s.done} onChange=${() => {
        const next = task.subtasks.map((x, j) => (j === i ? { ...x, done: !x.done } : x));
        api.update(task.id, { subtasks: next }); }} /> ${s.title}</label></li>`)}</ul>
    <input placeholder="Add a subtask and press Enter" value=${sub} onChange=${(e) => setSub(e.target.value)}
      onKeyDown=${(e) => { if (e.key === 'Enter' && sub.trim()) { api.update(task.id, { subtasks: [...task.subtasks, { title: sub.trim(), done: false }] }); setSub(''); } }} />
    <h3>Comments</h3>
    ${task.comments.map((c, i) => html`<p key=${i}>💬 ${c}</p>`)}
    <input placeholder="Write a comment" value=${comment} onChange=${(e) => setComment(e.target.value)} size="40"
      onKeyDown=${(e) => { if (e.key === 'Enter' && comment.trim()) { api.update(task.id, { comments: [...task.comments, comment.trim()] }); setComment(''); } }} />
    ${comment.includes('@') && html`<p className="muted">Mention: @sam, @lee (they get notified)</p>`}
  </section>`;
}

function Projects({ projects, tasks, api, arg }) {
  const [name, setName] = useState('');
  const [color, setColor] = useState('blue');
  const [err, setErr] = useState('');
  const [confirm, setConfirm] = useState(null);
  const [share, setShare] = useState(false);
  const [showArchived, setShowArchived] = useState(false);
  const project = projects.find((p) => String(p.id) === arg);
  if (arg && !project) return html`<${NotFound} />`;
  if (project) {
    return html`<section>
      <button onClick=${() => go('projects')}>← All projects</button>
      <h1>${project.name} ${project.archived && html`<span className="muted">(archived)</span>`}</h1>
      <div className="row"><button onClick=${() => setShare(true)}>Share</button>
        ${project.archived ? html`<button onClick=${() => api.setProject(project.id, { archived: false })}>Restore</button>`
          : html`<button onClick=${() => setConfirm(project)}>Archive</button>`}
        <span className="muted">${project.members.length} member(s)</span></div>
      <${TaskList} tasks=${tasks.filter((t) => t.project === project.id)} api=${{ ...api, add: (t) => api.add({ ...t, project: project.id }) }} title="Tasks" />
      ${share && html`<${ShareDialog} project=${project} api=${api} onClose=${() => setShare(false)} />`}
      ${confirm && html`<${Confirm} text=${`Archive “${project.name}”?`} onNo=${() => setConfirm(null)}
        onYes=${() => { api.setProject(project.id, { archived: true }); setConfirm(null); }} />`}
    </section>`;
  }
  const visible = projects.filter((p) => p.archived === showArchived);
  return html`<section>
    <h1>Projects</h1>
    <form className="row" onSubmit=${(e) => { e.preventDefault(); const n = name.trim();
        if (n.length < 3) setErr('Project names need at least 3 characters.');
        else if (projects.some((p) => p.name.toLowerCase() === n.toLowerCase())) setErr('A project with this name exists.');
        else { api.addProject(n, color); setName(''); setErr(''); } }}>
      <input placeholder="New project name" value=${name} onChange=${(e) => setName(e.target.value)} />
      <select value=${color} onChange=${(e) => setColor(e.target.value)}><option>blue</option><option>green</option><option>red</option></select>
      <button type="submit">Create</button>${err && html`<span className="error">${err}</span>`}
    </form>
    <label><input type="checkbox" checked=${showArchived} onChange=${(e) => setShowArchived(e.target.checked)} /> Show archived</label>
    ${visible.length === 0 ? html`<p className="muted">${showArchived ? 'No archived projects.' : 'No projects yet.'}</p>`
      : html`<div className="cards">${visible.map((p) => html`<div key=${p.id} className="card" onClick=${() => go('projects/' + p.id)}>
        <b style=${{ color: p.color }}>●</b> <a href=${'#/projects/' + p.id} onClick=${(e) => e.stopPropagation()}>${p.name}</a><div className="muted">${tasks.filter((t) => t.project === p.id && !t.done).length} open</div>
      </div>`)}</div>`}
  </section>`;
}

function ShareDialog({ project, api, onClose }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const [err, setErr] = useState('');
  const invite = (e) => {
    e.preventDefault();
    const v = email.trim().toLowerCase();
    if (!EMAIL.test(v)) { setErr('Enter a valid email address.'); return; }
    if (project.members.some((m) => m.email === v)) { setErr('Already invited.'); return; }
    if (v.endsWith('@example.com') && role === 'editor') { setErr('Guests from example.com can only view.'); return; }
    api.setProject(project.id, { members: [...project.members, { email: v, role }] });
    setEmail(''); setErr('');
  };
  return html`<div className="overlay"><div className="dialog">
    <h2>Share “${project.name}”</h2>
    <form className="row" onSubmit=${invite}>
      <input type="email" placeholder="name@company.com" value=${email} onChange=${(e) => setEmail(e.target.value)} />
      <select value=${role} onChange=${(e) => setRole(e.target.value)}><option value="viewer">Viewer</option><option value="editor">Editor</option></select>
      <button type="submit">Invite</button>
    </form>
    ${err && html`<p className="error">${err}</p>`}
    ${project.members.map((m) => html`<div key=${m.email} className="row">${m.email} (${m.role})
      <button onClick=${() => api.setProject(project.id, { members: project.members.filter((x) => x !== m) })}>Remove</button></div>`)}
    <div className="row"><button onClick=${onClose}>Done</button></div>
  </div></div>`;
}

function Reports({ tasks }) {
  const [goal, setGoal] = useState('');
  const [verdict, setVerdict] = useState('');
  const [range, setRange] = useState('week');
  const done = tasks.filter((t) => t.done).length;
  const byPrio = [1, 2, 3, 4, 5].map((p) => [p, tasks.filter((t) => t.prio === p).length]);
  const check = (e) => {
    e.preventDefault();
    const g = Number(goal);
    if (!goal || !Number.isFinite(g) || g <= 0) setVerdict('Set a positive goal.');
    else if (g > 100) setVerdict('That is more than anyone can do.');
    else setVerdict(done >= g ? `Goal reached: ${done} of ${g}.` : `${g - done} more to reach your goal.`);
  };
  return html`<section className="panel">
    <h1>Reports</h1>
    <label>Range <select value=${range} onChange=${(e) => setRange(e.target.value)}><option value="week">This week</option>
      <option value="month">This month</option><option value="year">This year</option></select></label>
    <p>${range === 'week' ? 'Week of ' + TODAY : range === 'month' ? 'January 2025' : 'Year 2025'}: ${done} done of ${tasks.length}.</p>
    <table><tbody>${byPrio.map(([p, n]) => html`<tr key=${p}><td>P${p}</td><td>${'█'.repeat(n) || '–'}</td></tr>`)}</tbody></table>
    <form className="row" onSubmit=${check}><label>Weekly goal <input type="number" value=${goal} onChange=${(e) => setGoal(e.target.value)} /></label>
      <button type="submit">Check</button></form>
    ${verdict && html`<p>${verdict}</p>`}
  </section>`;
}

function Settings({ settings, setSettings, onReset }) {
  const [email, setEmail] = useState(settings.email);
  const [msg, setMsg] = useState('');
  const [confirm, setConfirm] = useState(false);
  return html`<section className="panel">
    <h1>Settings</h1>
    <div className="row">Theme
      ${['light', 'dark'].map((t) => html`<label key=${t}><input type="radio" name="theme" checked=${settings.theme === t}
        onChange=${() => setSettings({ ...settings, theme: t })} /> ${t}</label>`)}</div>
    <label><input type="checkbox" checked=${settings.compact} onChange=${(e) => setSettings({ ...settings, compact: e.target.checked })} /> Compact list</label>
    <div className="row"><label>Week starts on <select value=${settings.weekStart} onChange=${(e) => setSettings({ ...settings, weekStart: e.target.value })}>
      <option>Monday</option><option>Sunday</option></select></label></div>
    <form className="row" onSubmit=${(e) => { e.preventDefault();
        if (!email) { setSettings({ ...settings, email: '' }); setMsg('Email reminders turned off.'); }
        else if (!EMAIL.test(email)) setMsg('That email does not look right.');
        else { setSettings({ ...settings, email }); setMsg('Reminders go to ' + email + '.'); } }}>
      <label>Reminder email <input type="email" value=${email} onChange=${(e) => setEmail(e.target.value)} /></label>
      <button type="submit">Save</button></form>
    ${msg && html`<p>${msg}</p>`}
    <button onClick=${() => setConfirm(true)}>Reset all settings</button>
    ${confirm && html`<${Confirm} text="Reset every setting to its default?" onNo=${() => setConfirm(false)}
      onYes=${() => { onReset(); setEmail(''); setConfirm(false); setMsg('Settings reset.'); }} />`}
  </section>`;
}

function Help() {
  const faqs = [['How do I add tags?', 'Type #tag in the quick-add box.'], ['Keyboard shortcuts?', 'Press ? anywhere.'],
    ['Can I undo a delete?', 'Yes, from the toast right after deleting.']];
  const [open, setOpen] = useState(-1);
  const [form, setForm] = useState({ email: '', topic: 'bug', text: '' });
  const [msg, setMsg] = useState('');
  return html`<section className="panel faq">
    <h1>Help</h1>
    ${faqs.map(([q, a], i) => html`<div key=${i}><div className="q" onClick=${() => setOpen(open === i ? -1 : i)}>${open === i ? '▾' : '▸'} ${q}</div>
      ${open === i && html`<p>${a}</p>`}</div>`)}
    <h3>Contact us</h3>
    <form onSubmit=${(e) => { e.preventDefault();
        if (!EMAIL.test(form.email)) setMsg('We need a valid email to answer.');
        else if (form.text.trim().length < 10) setMsg('Tell us a bit more (10+ characters).');
        else setMsg(form.topic === 'bug' ? 'Thanks, bug report #1042 filed.' : 'Thanks, we will reply within a day.'); }}>
      <div className="row"><input type="email" placeholder="Your email" value=${form.email} onChange=${(e) => setForm({ ...form, email: e.target.value })} />
        <select value=${form.topic} onChange=${(e) => setForm({ ...form, topic: e.target.value })}><option value="bug">Bug</option><option value="question">Question</option></select></div>
      <div className="row"><textarea rows="3" cols="50" placeholder="Message" value=${form.text} onChange=${(e) => setForm({ ...form, text: e.target.value })}></textarea></div>
      <button type="submit">Send</button>
    </form>
    ${msg && html`<p>${msg}</p>`}
  </section>`;
}

function NotFound() {
  return html`<section className="panel"><h1>Page not found</h1><a href="#/inbox">Go to inbox</a></section>`;
}

function App() {
  const [route, setRoute] = useState(parseRoute());
  const [consent, setConsent] = useState(null);
  const [tasks, setTasks] = useState(SEED);
  const [projects, setProjects] = useState(PROJECTS);
  const [selected, setSelected] = useState(null);
  const [tagFilter, setTagFilter] = useState('');
  const [menu, setMenu] = useState(false);
  const [modal, setModal] = useState(null); // 'shortcuts' | 'profile'
  const [toast, setToast] = useState(null);
  const [settings, setSettings] = useState({ theme: 'light', compact: false, weekStart: 'Monday', email: '' });
  const quickRef = useRef(null);
  const nextId = useRef(100);

  useEffect(() => {
    const onHash = () => { setRoute(parseRoute()); setMenu(false); };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.body.className = (settings.theme === 'dark' ? 'dark' : '') + (settings.compact ? ' compact' : '');
  }, [settings]);
  useEffect(() => {
    const onKey = (e) => {
      if (e.key === 'Escape') { setModal(null); setMenu(false); setToast(null); return; }
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName)) return;
      if (e.key === '?') setModal('shortcuts');
      else if (e.key === 'n' && quickRef.current) { e.preventDefault(); quickRef.current.focus(); }
      else if (e.key === 'g') go('inbox');
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const api = {
    selected, setSelected, tagFilter, setTagFilter, quickRef, modalOpen: !!modal || !consent,
    add: (t) => { const id = nextId.current++; setTasks((ts) => [...ts, { id, done: false, project: 0, subtasks: [], comments: [], notes: '', ...t }]);
      setToast({ text: 'Task added.' }); },
    toggle: (id) => setTasks((ts) => ts.map((t) => (t.id === id ? { ...t, done: !t.done } : t))),
    rename: (id, title) => setTasks((ts) => ts.map((t) => (t.id === id ? { ...t, title } : t))),
    update: (id, patch) => setTasks((ts) => ts.map((t) => (t.id === id ? { ...t, ...patch } : t))),
    duplicate: (id) => setTasks((ts) => { const t = ts.find((x) => x.id === id); return [...ts, { ...t, id: nextId.current++, title: t.title + ' (copy)' }]; }),
    remove: (ids) => { const removed = tasks.filter((t) => ids.includes(t.id));
      setTasks((ts) => ts.filter((t) => !ids.includes(t.id)));
      setToast({ text: `Deleted ${removed.length} task(s).`, undo: removed }); },
    clearDone: () => api.remove(tasks.filter((t) => t.done).map((t) => t.id)),
    open: (id) => go('task/' + id),
    addProject: (name, color) => setProjects((ps) => [...ps, { id: nextId.current++, name, color, archived: false, members: [] }]),
    setProject: (id, patch) => setProjects((ps) => ps.map((p) => (p.id === id ? { ...p, ...patch } : p))),
  };

  if (route.view === 'privacy') {
    return html`<main><h1>Privacy policy</h1><p>We store nothing. This page has no way back but the browser's.</p></main>`;
  }
  if (route.view === 'signed-out') {
    return html`<main><h1>You are signed out</h1><p>Close this tab or reload to start again.</p></main>`;
  }
  const open = tasks.filter((t) => !t.done).length;
  const navItems = [['inbox', 'Inbox'], ['today', 'Today'], ['projects', 'Projects'], ['reports', 'Reports'], ['settings', 'Settings'], ['help', 'Help']];
  let body;
  const v = route.view;
  if (v === 'inbox') body = html`<${TaskList} tasks=${tasks} api=${api} title="Inbox" />`;
  else if (v === 'today') {
    const overdue = tasks.filter((t) => !t.done && t.due && t.due < TODAY);
    body = html`<div>${overdue.length > 0 && html`<p className="error">${overdue.length} overdue task(s):
      ${overdue.map((t) => html`<button key=${t.id} onClick=${() => api.update(t.id, { due: TODAY })}>Move “${t.title}” to today</button>`)}</p>`}
      <${TaskList} tasks=${tasks.filter((t) => t.due === TODAY)} api=${{ ...api, add: (t) => api.add({ ...t, due: TODAY }) }} title="Today" /></div>`;
  } else if (v === 'projects') body = html`<${Projects} projects=${projects} tasks=${tasks} api=${api} arg=${route.arg} />`;
  else if (v === 'task') {
    const task = tasks.find((t) => String(t.id) === route.arg);
    body = task ? html`<${TaskDetail} key=${task.id} task=${task} api=${api} projects=${projects} />` : html`<${NotFound} />`;
  } else if (v === 'reports') body = html`<${Reports} tasks=${tasks} />`;
  else if (v === 'settings') body = html`<${Settings} settings=${settings} setSettings=${setSettings}
      onReset=${() => setSettings({ theme: 'light', compact: false, weekStart: 'Monday', email: '' })} />`;
  else if (v === 'help') body = html`<${Help} />`;
  else body = html`<${NotFound} />`;

  return html`<div>
    <div className="top">
      <span className="brand" onClick=${() => go('inbox')}>✔ Tasks</span>
      <div className="nav">${navItems.map(([id, label]) => html`<a key=${id} href=${'#/' + id} className=${'item' + (v === id ? ' on' : '')}
        >${label}${id === 'inbox' && html`<span className="count">${open}</span>`}</a>`)}</div>
      <${AccountMenu} open=${menu} setOpen=${setMenu} onPick=${(it) => {
        if (it === 'Sign out') go('signed-out'); else setModal(it === 'Profile' ? 'profile' : 'shortcuts'); }} />
    </div>
    <main>${body}</main>
    ${toast && html`<div className="toast">${toast.text}
      ${toast.undo && html`<button onClick=${() => { setTasks((ts) => [...ts, ...toast.undo].sort((a, b) => a.id - b.id)); setToast({ text: 'Restored.' }); }}>Undo</button>`}
      <button onClick=${() => setToast(null)}>✕</button></div>`}
    ${modal === 'shortcuts' && html`<div className="overlay" onClick=${() => setModal(null)}><div className="dialog" onClick=${(e) => e.stopPropagation()}>
      <h2>Keyboard shortcuts</h2><p>↑/↓ or j/k select · Enter open · x done · Delete remove · n new task · g inbox · Esc close</p>
      <button onClick=${() => setModal(null)}>Close</button></div></div>`}
    ${modal === 'profile' && html`<${Profile} onClose=${() => setModal(null)} />`}
    ${!consent && route.view !== 'privacy' && html`<${CookieBanner} onDone=${(c) => { setConsent(c); setToast({ text: c === 'all' ? 'Thanks! All cookies on.' : 'Only essential cookies.' }); }} />`}
  </div>`;
}

function Profile({ onClose }) {
  const [name, setName] = useState('Alex Morgan');
  const [phone, setPhone] = useState('');
  const [birthday, setBirthday] = useState('');
  const [msg, setMsg] = useState('');
  const save = (e) => {
    e.preventDefault();
    if (name.trim().length < 2) setMsg('Name is too short.');
    else if (phone && !/^\+?[0-9 ]{7,15}$/.test(phone)) setMsg('Phone: digits and spaces, 7-15 long.');
    else if (birthday && birthday > TODAY) setMsg('Birthday cannot be in the future.');
    else setMsg('Profile saved.');
  };
  return html`<div className="overlay"><form className="dialog" onSubmit=${save}>
    <h2>Profile</h2>
    <div className="row"><label>Name <input value=${name} onChange=${(e) => setName(e.target.value)} /></label></div>
    <div className="row"><label>Phone <input type="tel" value=${phone} onChange=${(e) => setPhone(e.target.value)} /></label></div>
    <div className="row"><label>Birthday <input type="date" value=${birthday} onChange=${(e) => setBirthday(e.target.value)} /></label></div>
    ${msg && html`<p>${msg}</p>`}
    <div className="row"><button type="submit" className="primary">Save</button><button type="button" onClick=${onClose}>Close</button></div>
  </form></div>`;
}

ReactDOM.createRoot(document.getElementById('root')).render(html`<${App} />`);

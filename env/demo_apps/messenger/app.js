/* JAMEL Demo Messenger - chat app with a scripted bot, reactions, edits, polls and groups.
 * Timestamps come from a fake clock that advances one minute per message (deterministic). */
'use strict';

const CONTACTS = [
  { id: 'bot', name: 'Helper Bot', icon: '🤖', bot: true },
  { id: 'sam', name: 'Sam Rivera', icon: '🧑' },
  { id: 'lee', name: 'Lee Chen', icon: '👩' },
  { id: 'kim', name: 'Kim Novak', icon: '🧔' },
  { id: 'ana', name: 'Ana Silva', icon: '👱' },
];
const REACTIONS = ['👍', '❤️', '😂', '😮', '😢'];
const EMOJI = ['😀', '🎉', '👋', '🙏', '🔥', '☕'];
const JOKES = ['Why do programmers prefer dark mode? Because light attracts bugs.', 'I would tell you a UDP joke, but you might not get it.'];

const state = {
  chats: [
    { id: 'bot', title: 'Helper Bot', members: ['bot'], unread: 1, muted: false, archived: false, blocked: false, pinned: null, msgs: [] },
    { id: 'sam', title: 'Sam Rivera', members: ['sam'], unread: 2, muted: false, archived: false, blocked: false, pinned: null, msgs: [] },
    { id: 'lee', title: 'Lee Chen', members: ['lee'], unread: 0, muted: false, archived: false, blocked: false, pinned: null, msgs: [] },
    { id: 'team', title: 'Weekend Hike', members: ['sam', 'kim', 'ana'], group: true, unread: 0, muted: true, archived: false, blocked: false, pinned: null, msgs: [] },
    { id: 'kim', title: 'Kim Novak', members: ['kim'], unread: 0, muted: false, archived: true, blocked: false, pinned: null, msgs: [] },
  ],
  filter: 'all', contactQuery: '', clock: 9 * 60, msgSeq: 0, editing: null, replyTo: null, presence: 'online',
  settings: { theme: 'light', font: 'normal', enterToSend: true, readReceipts: true, previews: true }, notifyAnswered: false, notifications: false,
  samPinged: false, jokeIndex: 0, groupSeq: 0, chatQuery: '',
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const view = () => $('#view');
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const contact = (id) => CONTACTS.find((c) => c.id === id);
const chatById = (id) => state.chats.find((c) => c.id === id);

function stamp() {
  state.clock += 1;
  return `${String(Math.floor(state.clock / 60) % 24).padStart(2, '0')}:${String(state.clock % 60).padStart(2, '0')}`;
}

function addMsg(chat, from, text, extra = {}) {
  state.msgSeq += 1;
  const m = { id: state.msgSeq, from, text, time: stamp(), reactions: {}, edited: false, deleted: false, ...extra };
  chat.msgs.push(m);
  return m;
}

function seed() {
  addMsg(chatById('bot'), 'bot', 'Hi! I am Helper Bot. Type "help" to see what I can do.');
  addMsg(chatById('sam'), 'sam', 'Are we still on for Saturday?');
  addMsg(chatById('sam'), 'sam', 'I can bring snacks 🍪');
  addMsg(chatById('lee'), 'me', 'Thanks for the book recommendation!');
  addMsg(chatById('lee'), 'lee', 'Anytime. Tell me how you like it.');
  addMsg(chatById('team'), 'kim', 'Trail map is in the shared folder.');
  addMsg(chatById('team'), 'ana', 'Meet at 8 at the station?');
  addMsg(chatById('kim'), 'kim', 'Old thread about the move.');
}

function toast(msg) {
  if (state.presence === 'dnd') return;
  const t = $('#toast');
  t.textContent = msg;
  t.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add('hidden'), 800);
}

/* ---------- routing ---------- */
function go(route) { location.hash = '#/' + route; }

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return { name: parts[0] || 'chats', arg: parts[1] };
}

function render() {
  const { name, arg } = parseHash();
  document.body.classList.toggle('bare', name === 'privacy');
  $('#notify-prompt').classList.toggle('hidden', state.notifyAnswered || name === 'privacy');
  $$('.mainnav button').forEach((b) => b.classList.toggle('active', b.dataset.route === name || (name === 'chat' && b.dataset.route === 'chats')));
  if (name === 'settings') renderSettings();
  else if (name === 'privacy') renderPrivacy();
  else if (name === 'contact') renderContact(arg);
  else renderChats(name === 'archived' ? 'archived' : state.filter, name === 'chat' ? arg : null);
}

/* ---------- chat list ---------- */
function visibleChats(filter) {
  const q = state.contactQuery.toLowerCase();
  return state.chats.filter((c) => {
    if (filter === 'archived') return c.archived;
    if (c.archived) return false;
    if (filter === 'unread' && !c.unread) return false;
    if (filter === 'groups' && !c.group) return false;
    return !q || c.title.toLowerCase().includes(q) || c.msgs.some((m) => m.text.toLowerCase().includes(q));
  });
}

function lastPreview(c) {
  const m = c.msgs[c.msgs.length - 1];
  if (!m) return 'No messages yet';
  if (!state.settings.previews) return 'New message';
  if (m.deleted) return 'Message deleted';
  return (m.from === 'me' ? 'You: ' : '') + (m.poll ? '📊 Poll' : m.text).slice(0, 28);
}

function renderChats(filter, openId) {
  const list = visibleChats(filter);
  view().innerHTML = `<div class="app"><aside class="sidebar" aria-label="Conversations">
    <div class="row"><label for="contact-search" class="muted">Find</label><input id="contact-search" type="search" placeholder="Search chats (Ctrl+K)" value="${esc(state.contactQuery)}"></div>
    ${filter === 'archived' ? '<h2>Archived</h2>' : `<div class="row" role="tablist" aria-label="Chat filters">${['all', 'unread', 'groups'].map((f) => `<button type="button" role="tab" id="filter-${f}" class="cfilter" data-f="${f}" aria-selected="${f === filter}">${f}</button>`).join('')}</div>`}
    <ul class="chatlist" id="chatlist">${list.map((c) => `<li><button type="button" id="open-${c.id}" class="open-chat ${c.id === openId ? 'active' : ''}" data-id="${c.id}">
      <span>${c.group ? '👥' : contact(c.members[0]).icon} <strong>${esc(c.title)}</strong>${c.muted ? ' 🔕' : ''}<br><small class="muted">${esc(lastPreview(c))}</small></span>
      ${c.unread ? `<span class="badge" aria-label="${c.unread} unread">${c.unread}</span>` : ''}</button></li>`).join('') || '<li id="no-chats" class="muted">No conversations.</li>'}</ul>
    ${filter === 'archived' ? '' : '<div class="row"><button type="button" id="new-chat">＋ New chat</button><button type="button" id="new-group">＋ New group</button></div>'}
    </aside><section class="pane" id="pane">${openId ? '' : '<div class="page"><h1>Select a conversation</h1><p class="muted">Pick a chat on the left or start a new one.</p></div>'}</section></div>`;
  $('#contact-search').addEventListener('input', (e) => { state.contactQuery = e.target.value; refreshList(filter, openId); });
  $$('.cfilter').forEach((b) => b.addEventListener('click', () => { state.filter = b.dataset.f; render(); }));
  bindChatList();
  const nc = $('#new-chat');
  if (nc) { nc.addEventListener('click', openNewChat); $('#new-group').addEventListener('click', openNewGroup); }
  if (openId) renderChat(openId);
}

function refreshList(filter, openId) {
  // Re-render, then put the caret back in the search box so typing can continue.
  renderChats(filter, openId);
  const input = $('#contact-search');
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

function bindChatList() {
  $$('.open-chat').forEach((b) => b.addEventListener('click', () => go('chat/' + b.dataset.id)));
}

/* ---------- conversation ---------- */
function renderChat(id) {
  const c = chatById(id);
  if (!c) { $('#pane').innerHTML = '<div class="page"><p id="chat-missing">This conversation no longer exists.</p></div>'; return; }
  c.unread = 0;
  const q = state.chatQuery.toLowerCase();
  const hits = q ? c.msgs.filter((m) => !m.deleted && m.text.toLowerCase().includes(q)).length : 0;
  $('#pane').innerHTML = `<div class="chat-head"><h1 style="font-size:18px;margin:0">${esc(c.title)}</h1>
      ${c.group ? `<span class="muted">${c.members.length + 1} members</span>` : `<a href="#/contact/${c.members[0]}" id="view-profile">View profile</a>`}
      <label for="chat-search" class="muted">Search in chat</label><input id="chat-search" type="search" value="${esc(state.chatQuery)}" style="width:140px">
      ${q ? `<span id="search-hits">${hits} match(es)</span>` : ''}
      <button type="button" id="mute-chat" aria-pressed="${c.muted}">${c.muted ? 'Unmute' : 'Mute'}</button>
      <button type="button" id="archive-chat">${c.archived ? 'Unarchive' : 'Archive'}</button>
      ${c.group ? '<button type="button" id="leave-group">Leave group</button>' : `<button type="button" id="block-chat">${c.blocked ? 'Unblock' : 'Block'}</button>`}
      <button type="button" id="clear-chat">Clear history</button></div>
    ${c.pinned ? `<div class="pinned" id="pinned-bar">📌 ${esc(c.msgs.find((m) => m.id === c.pinned)?.text || '')} <button type="button" class="link" id="unpin">Unpin</button></div>` : ''}
    <div class="messages" id="messages" aria-live="polite">${c.msgs.map((m) => msgHtml(c, m, q)).join('') || '<p class="muted" id="empty-chat">No messages yet. Say hi!</p>'}</div>
    <div class="typing" id="typing"></div>
    ${c.blocked ? `<div class="composer" id="blocked-note">You blocked this contact. <button type="button" id="unblock-inline">Unblock</button></div>` : `
    ${state.replyTo ? `<div class="pinned" id="reply-bar">Replying to: ${esc(state.replyTo.text.slice(0, 40))} <button type="button" class="link" id="reply-cancel">Cancel</button></div>` : ''}
    <form class="composer" id="composer" novalidate>
      <button type="button" id="emoji-btn" aria-label="Insert emoji" aria-expanded="false">😀</button>
      <span id="emoji-panel" class="hidden">${EMOJI.map((e, i) => `<button type="button" id="emoji-${i}" class="emoji" aria-label="Insert ${e}">${e}</button>`).join('')}</span>
      <button type="button" id="attach-btn" aria-label="Attach">📎</button>
      <label for="msg-input" class="muted">Message</label><input id="msg-input" autocomplete="off" placeholder="Type a message… (try help)" maxlength="500">
      <span id="char-count" class="muted">0/500</span>
      <button type="submit" id="send" class="primary">Send</button></form><p class="error" id="send-error" style="padding:0 10px"></p>`}`;
  bindChat(c);
  const box = $('#messages');
  box.scrollTop = box.scrollHeight;
}

function msgHtml(c, m, q) {
  const mine = m.from === 'me';
  const who = mine ? 'You' : (contact(m.from) ? contact(m.from).name : m.from);
  if (m.deleted) return `<div class="msg deleted ${mine ? 'mine' : ''}" id="msg-${m.id}">🚫 This message was deleted</div>`;
  const text = q && m.text.toLowerCase().includes(q) ? `<mark>${esc(m.text)}</mark>` : esc(m.text);
  const reacts = Object.entries(m.reactions).filter(([, n]) => n > 0).map(([e, n]) => `${e}${n > 1 ? n : ''}`).join(' ');
  return `<div class="msg ${mine ? 'mine' : ''}" id="msg-${m.id}" data-id="${m.id}" tabindex="0" role="article" aria-label="Message from ${esc(who)}">
    ${c.group && !mine ? `<div class="meta">${esc(who)}</div>` : ''}
    ${m.quote ? `<div class="quote">${esc(m.quote)}</div>` : ''}
    ${m.poll ? pollHtml(m) : `<span class="mtext">${text}</span>`}
    <div class="meta"><span class="mtime" data-id="${m.id}">${m.time}</span>${m.edited ? ' · edited' : ''}${mine && state.settings.readReceipts ? ' ✓✓' : ''} ${reacts ? `<span class="reacts">${reacts}</span>` : ''}</div>
    <span class="acts">
      <button type="button" id="react-${m.id}" class="act-react" data-id="${m.id}" aria-label="React">☺</button>
      <button type="button" id="reply-${m.id}" class="act-reply" data-id="${m.id}" aria-label="Reply">↩</button>
      <button type="button" id="pin-${m.id}" class="act-pin" data-id="${m.id}" aria-label="Pin">📌</button>
      <button type="button" id="fwd-${m.id}" class="act-fwd" data-id="${m.id}" aria-label="Forward">➦</button>
      ${mine && !m.poll ? `<button type="button" id="edit-${m.id}" class="act-edit" data-id="${m.id}" aria-label="Edit">✎</button>` : ''}
      ${mine ? `<button type="button" id="del-${m.id}" class="act-del" data-id="${m.id}" aria-label="Delete">🗑</button>` : ''}
    </span></div>`;
}

function pollHtml(m) {
  const total = m.poll.options.reduce((s, o) => s + o.votes, 0);
  return `<strong>📊 ${esc(m.poll.question)}</strong>${m.poll.options.map((o, i) => `<div><button type="button" id="vote-${m.id}-${i}" class="vote" data-id="${m.id}" data-i="${i}" aria-pressed="${m.poll.mine === i}">${esc(o.text)}</button>
    <span class="muted">${total ? Math.round(100 * o.votes / total) : 0}%</span></div>`).join('')}`;
}

function bindChat(c) {
  $('#chat-search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { state.chatQuery = e.target.value.trim(); renderChat(c.id); } });
  $('#mute-chat').addEventListener('click', () => { c.muted = !c.muted; toast(c.muted ? 'Chat muted' : 'Chat unmuted'); render(); });
  $('#archive-chat').addEventListener('click', () => { c.archived = !c.archived; toast(c.archived ? 'Chat archived' : 'Chat restored'); go(c.archived ? 'archived' : 'chat/' + c.id); });
  $('#clear-chat').addEventListener('click', () => confirmDialog('Delete all messages in this chat?', () => { c.msgs = []; c.pinned = null; render(); }));
  const block = $('#block-chat');
  if (block) block.addEventListener('click', () => (c.blocked ? setBlocked(c, false) : confirmDialog(`Block ${c.title}? They won't be able to message you.`, () => setBlocked(c, true))));
  const leave = $('#leave-group');
  if (leave) leave.addEventListener('click', () => confirmDialog(`Leave “${c.title}”?`, () => { state.chats = state.chats.filter((x) => x !== c); go('chats'); }));
  const unpin = $('#unpin');
  if (unpin) unpin.addEventListener('click', () => { c.pinned = null; renderChat(c.id); });
  if (c.blocked) { $('#unblock-inline').addEventListener('click', () => setBlocked(c, false)); }
  else bindComposer(c);
  $$('.msg[data-id]').forEach((el) => el.addEventListener('dblclick', () => react(c, Number(el.dataset.id), '❤️')));
  $$('.mtime').forEach((el) => {
    el.addEventListener('mouseenter', () => showTip(el, `Sent today at ${el.textContent}${state.settings.readReceipts ? ' · read' : ''}`));
    el.addEventListener('mouseleave', hideTip);
  });
  $$('.act-react').forEach((b) => b.addEventListener('click', () => openReactionPicker(c, Number(b.dataset.id))));
  $$('.act-reply').forEach((b) => b.addEventListener('click', () => { state.replyTo = c.msgs.find((m) => m.id === Number(b.dataset.id)); renderChat(c.id); $('#msg-input').focus(); }));
  $$('.act-pin').forEach((b) => b.addEventListener('click', () => { c.pinned = Number(b.dataset.id); toast('Message pinned'); renderChat(c.id); }));
  $$('.act-fwd').forEach((b) => b.addEventListener('click', () => openForward(c, Number(b.dataset.id))));
  $$('.act-edit').forEach((b) => b.addEventListener('click', () => startEdit(c, Number(b.dataset.id))));
  $$('.act-del').forEach((b) => b.addEventListener('click', () => confirmDialog('Delete this message for everyone?', () => {
    const m = c.msgs.find((x) => x.id === Number(b.dataset.id));
    m.deleted = true;
    if (c.pinned === m.id) c.pinned = null;
    renderChat(c.id);
  })));
  $$('.vote').forEach((b) => b.addEventListener('click', () => vote(c, Number(b.dataset.id), Number(b.dataset.i))));
}

function setBlocked(c, on) {
  c.blocked = on;
  toast(on ? 'Contact blocked' : 'Contact unblocked');
  renderChat(c.id);
}

function bindComposer(c) {
  const input = $('#msg-input');
  input.addEventListener('input', () => {
    $('#char-count').textContent = input.value.length + '/500';
    $('#send-error').textContent = '';
    if (c.group && input.value.endsWith('@')) showTip(input, 'Mention: ' + c.members.map((id) => '@' + contact(id).name.split(' ')[0].toLowerCase()).join(' '));
    else hideTip();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp' && !input.value) { const last = [...c.msgs].reverse().find((m) => m.from === 'me' && !m.deleted && !m.poll); if (last) { e.preventDefault(); startEdit(c, last.id); } }
    if (e.key === 'Enter' && !state.settings.enterToSend) { e.preventDefault(); $('#send-error').textContent = 'Enter-to-send is off: use the Send button.'; }
  });
  $('#composer').addEventListener('submit', (e) => { e.preventDefault(); sendMessage(c); });
  $('#emoji-btn').addEventListener('click', () => {
    const panel = $('#emoji-panel');
    panel.classList.toggle('hidden');
    $('#emoji-btn').setAttribute('aria-expanded', String(!panel.classList.contains('hidden')));
  });
  $$('.emoji').forEach((b) => b.addEventListener('click', () => { input.value += b.textContent; input.dispatchEvent(new Event('input')); }));
  $('#attach-btn').addEventListener('click', () => openAttachMenu(c));
  const rc = $('#reply-cancel');
  if (rc) rc.addEventListener('click', () => { state.replyTo = null; renderChat(c.id); });
}

function sendMessage(c) {
  const input = $('#msg-input');
  const text = input.value.trim();
  if (!text) { $('#send-error').textContent = 'Cannot send an empty message.'; return; }
  if (text.startsWith('/')) { runCommand(c, text); return; }
  const extra = state.replyTo ? { quote: state.replyTo.text } : {};
  state.replyTo = null;
  addMsg(c, 'me', text, extra);
  renderChat(c.id);
  scheduleReply(c, text);
}

function runCommand(c, text) {
  const [cmd, ...rest] = text.slice(1).split(' ');
  if (cmd === 'shrug') { addMsg(c, 'me', (rest.join(' ') + ' ¯\\_(ツ)_/¯').trim()); renderChat(c.id); return; }
  if (cmd === 'clear') { c.msgs = []; renderChat(c.id); return; }
  if (cmd === 'poll') { openPollModal(c); return; }
  if (cmd === 'help') { openModal('Commands', '<ul><li>/shrug [text]</li><li>/clear — clear chat</li><li>/poll — create a poll</li><li>/help — this list</li></ul>'); return; }
  $('#send-error').textContent = `Unknown command /${cmd}. Type /help.`;
}

function botAnswer(text) {
  const t = text.toLowerCase();
  if (/\b(hi|hello|hey)\b/.test(t)) return 'Hello there! 👋';
  if (t.includes('help')) return 'I understand: hello, joke, weather, time, bye. Or try /help for commands.';
  if (t.includes('joke')) { const j = JOKES[state.jokeIndex % JOKES.length]; state.jokeIndex += 1; return j; }
  if (t.includes('weather')) return 'It is always sunny in the demo world ☀️';
  if (t.includes('time')) return 'By my clock it is ' + stamp();
  if (t.includes('bye')) return 'Goodbye! Come back soon.';
  if (t.endsWith('?')) return 'Good question. I am just a simple bot, though.';
  return `You said “${text.slice(0, 40)}”. Try "help".`;
}

function scheduleReply(c, text) {
  let responder = null;
  if (c.id === 'bot') responder = 'bot';
  else if (!c.group && c.members[0] === 'sam') responder = 'sam';
  else if (c.group) responder = c.members[0];
  if (!responder) return;
  const typing = $('#typing');
  if (typing) typing.textContent = `${contact(responder).name} is typing…`;
  setTimeout(() => {
    const reply = responder === 'bot' ? botAnswer(text) : (c.group ? 'Sounds good to me!' : 'Sure thing, see you then!');
    addMsg(c, responder, reply);
    if (parseHash().arg === c.id) renderChat(c.id); else { c.unread += 1; render(); }
    if (!state.samPinged && c.id !== 'sam') pingFromSam();
  }, 700);
}

function pingFromSam() {
  state.samPinged = true;
  setTimeout(() => {
    const sam = chatById('sam');
    if (!sam) return;
    addMsg(sam, 'sam', 'Hey, did you see my message?');
    if (parseHash().arg !== 'sam') { sam.unread += 1; if (!sam.muted) toast('New message from Sam'); }
    const pane = parseHash();
    if (pane.name === 'chat' || pane.name === 'chats' || pane.name === '') { const input = $('#msg-input'); const draft = input ? input.value : ''; render(); if (draft && $('#msg-input')) $('#msg-input').value = draft; }
  }, 800);
}

function react(c, id, emoji) {
  const m = c.msgs.find((x) => x.id === id);
  if (!m || m.deleted) return;
  m.mine = m.mine || {};
  m.mine[emoji] = !m.mine[emoji];
  m.reactions[emoji] = (m.reactions[emoji] || 0) + (m.mine[emoji] ? 1 : -1);
  renderChat(c.id);
}

function openReactionPicker(c, id) {
  openModal('React', `<div class="row">${REACTIONS.map((e, i) => `<button type="button" id="pick-react-${i}" class="pick-react" aria-label="React ${e}">${e}</button>`).join('')}</div>`, () => {
    $$('.pick-react').forEach((b) => b.addEventListener('click', () => { closeModal(); react(c, id, b.textContent); }));
  });
}

function startEdit(c, id) {
  const m = c.msgs.find((x) => x.id === id);
  const el = $('#msg-' + id);
  el.innerHTML = `<label for="edit-input" class="meta">Edit message</label><input id="edit-input" value="${esc(m.text)}">
    <button type="button" id="edit-save">Save</button><button type="button" id="edit-cancel">Cancel</button><span class="error" id="edit-error"></span>`;
  const input = $('#edit-input');
  input.focus();
  const save = () => {
    const v = input.value.trim();
    if (!v) { $('#edit-error').textContent = 'Message cannot be empty. Delete it instead.'; return; }
    if (v !== m.text) { m.text = v; m.edited = true; }
    renderChat(c.id);
  };
  $('#edit-save').addEventListener('click', save);
  $('#edit-cancel').addEventListener('click', () => renderChat(c.id));
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') save(); if (e.key === 'Escape') renderChat(c.id); });
}

function openForward(c, id) {
  const m = c.msgs.find((x) => x.id === id);
  const targets = state.chats.filter((x) => x !== c && !x.blocked);
  openModal('Forward message', `<div class="field"><label for="fwd-target">Send to</label><select id="fwd-target"><option value="">Choose a chat…</option>${targets.map((t) => `<option value="${t.id}">${esc(t.title)}</option>`).join('')}</select><span class="error" id="fwd-error"></span></div>
    <button type="button" id="fwd-send" class="primary">Forward</button>`, () => {
    $('#fwd-send').addEventListener('click', () => {
      const target = chatById($('#fwd-target').value);
      if (!target) { $('#fwd-error').textContent = 'Choose where to forward.'; return; }
      addMsg(target, 'me', m.poll ? '📊 ' + m.poll.question : m.text, { quote: 'Forwarded' });
      closeModal();
      toast('Forwarded to ' + target.title);
    });
  });
}

function openAttachMenu(c) {
  openModal('Attach', `<div class="row"><button type="button" id="attach-location">📍 Location</button><button type="button" id="attach-poll">📊 Poll</button><button type="button" id="attach-contact">👤 Contact card</button></div>`, () => {
    $('#attach-location').addEventListener('click', () => { closeModal(); addMsg(c, 'me', '📍 Shared location: Central Station'); renderChat(c.id); });
    $('#attach-poll').addEventListener('click', () => openPollModal(c));
    $('#attach-contact').addEventListener('click', () => {
      openModal('Share contact', `<div class="field"><label for="card-pick">Contact</label><select id="card-pick">${CONTACTS.filter((x) => !x.bot).map((x) => `<option value="${x.id}">${x.name}</option>`).join('')}</select></div><button type="button" id="card-send" class="primary">Share</button>`, () => {
        $('#card-send').addEventListener('click', () => { addMsg(c, 'me', '👤 ' + contact($('#card-pick').value).name); closeModal(); renderChat(c.id); });
      });
    });
  });
}

function openPollModal(c) {
  openModal('Create poll', `<div class="field"><label for="poll-q">Question</label><input id="poll-q"><span class="error" id="poll-q-error"></span></div>
    ${[1, 2, 3, 4].map((i) => `<div class="field"><label for="poll-o${i}">Option ${i}${i > 2 ? ' (optional)' : ''}</label><input id="poll-o${i}"></div>`).join('')}
    <p class="error" id="poll-error"></p><button type="button" id="poll-create" class="primary">Create poll</button>`, () => {
    $('#poll-create').addEventListener('click', () => {
      const q = $('#poll-q').value.trim();
      const opts = [1, 2, 3, 4].map((i) => $('#poll-o' + i).value.trim()).filter(Boolean);
      $('#poll-q-error').textContent = q.endsWith('?') ? '' : 'A poll question should end with “?”.';
      const dup = new Set(opts.map((o) => o.toLowerCase())).size !== opts.length;
      $('#poll-error').textContent = opts.length < 2 ? 'Add at least two options.' : (dup ? 'Options must be different.' : '');
      if (!q.endsWith('?') || opts.length < 2 || dup) return;
      addMsg(c, 'me', q, { poll: { question: q, options: opts.map((t) => ({ text: t, votes: 0 })), mine: null } });
      closeModal();
      renderChat(c.id);
    });
  });
}

function vote(c, id, i) {
  const m = c.msgs.find((x) => x.id === id);
  if (m.poll.mine !== null) m.poll.options[m.poll.mine].votes -= 1;
  if (m.poll.mine === i) m.poll.mine = null; else { m.poll.mine = i; m.poll.options[i].votes += 1; }
  renderChat(c.id);
}

/* ---------- new chat / group ---------- */
function openNewChat() {
  const free = CONTACTS.filter((x) => !state.chats.some((c) => !c.group && c.members[0] === x.id));
  openModal('New chat', free.length ? `<div class="field"><label for="new-chat-pick">Contact</label><select id="new-chat-pick">${free.map((x) => `<option value="${x.id}">${x.name}</option>`).join('')}</select></div>
    <button type="button" id="new-chat-start" class="primary">Start chat</button>` : '<p id="all-chatting">You already have a chat with everyone.</p>', () => {
    const btn = $('#new-chat-start');
    if (btn) btn.addEventListener('click', () => {
      const x = contact($('#new-chat-pick').value);
      state.chats.unshift({ id: x.id, title: x.name, members: [x.id], unread: 0, muted: false, archived: false, blocked: false, pinned: null, msgs: [] });
      closeModal();
      go('chat/' + x.id);
    });
  });
}

function openNewGroup() {
  openModal('New group', `<div class="field"><label for="group-name">Group name</label><input id="group-name"><span class="error" id="group-name-error"></span></div>
    <fieldset><legend>Members</legend>${CONTACTS.filter((x) => !x.bot).map((x) => `<label style="display:block"><input type="checkbox" class="gm" id="gm-${x.id}" value="${x.id}"> ${x.name}</label>`).join('')}</fieldset>
    <p class="error" id="group-members-error"></p><button type="button" id="group-create" class="primary">Create group</button>`, () => {
    $('#group-create').addEventListener('click', () => {
      const name = $('#group-name').value.trim();
      const members = $$('.gm').filter((x) => x.checked).map((x) => x.value);
      $('#group-name-error').textContent = name.length >= 3 ? '' : 'Group name needs 3+ characters.';
      $('#group-members-error').textContent = members.length >= 2 ? '' : 'Pick at least two members.';
      if (name.length < 3 || members.length < 2) return;
      state.groupSeq += 1;
      const g = { id: 'g' + state.groupSeq, title: name, members, group: true, unread: 0, muted: false, archived: false, blocked: false, pinned: null, msgs: [] };
      addMsg(g, 'me', `Created group “${name}”`);
      state.chats.unshift(g);
      closeModal();
      go('chat/' + g.id);
    });
  });
}

/* ---------- contact profile, settings, privacy ---------- */
function renderContact(id) {
  const x = contact(id);
  if (!x) { go('chats'); return; }
  const chat = state.chats.find((c) => !c.group && c.members[0] === id);
  const shared = state.chats.filter((c) => c.group && c.members.includes(id));
  view().innerHTML = `<div class="page"><p><a href="#/chat/${id}" id="back-chat">← Back to chat</a></p><h1>${x.icon} ${esc(x.name)}</h1>
    <p>${x.bot ? 'Automated assistant' : 'Last seen recently'} · ${chat ? chat.msgs.length : 0} messages exchanged</p>
    <h2>Groups in common</h2><ul>${shared.map((g) => `<li><a href="#/chat/${g.id}" id="common-${g.id}">${esc(g.title)}</a></li>`).join('') || '<li class="muted">None</li>'}</ul>
    <div class="field"><label for="nickname">Nickname</label><input id="nickname" value="${esc(chat ? chat.title : x.name)}"><span class="error" id="nickname-error"></span></div>
    <button type="button" id="save-nickname">Save nickname</button></div>`;
  $('#save-nickname').addEventListener('click', () => {
    const v = $('#nickname').value.trim();
    if (!v || v.length > 24) { $('#nickname-error').textContent = 'Nickname must be 1-24 characters.'; return; }
    if (chat) chat.title = v;
    toast('Nickname saved');
  });
}

function renderSettings() {
  const s = state.settings;
  view().innerHTML = `<div class="page"><h1>Settings</h1><form id="settings-form" class="card" novalidate>
    <div class="field"><label for="theme">Theme</label><select id="theme"><option value="light" ${s.theme === 'light' ? 'selected' : ''}>Light</option><option value="dark" ${s.theme === 'dark' ? 'selected' : ''}>Dark</option></select></div>
    <div class="field"><label for="font-size">Font size</label><select id="font-size"><option value="normal" ${s.font === 'normal' ? 'selected' : ''}>Normal</option><option value="large" ${s.font === 'large' ? 'selected' : ''}>Large</option></select></div>
    <label style="display:block"><input type="checkbox" id="enter-send" ${s.enterToSend ? 'checked' : ''}> Press Enter to send</label>
    <label style="display:block"><input type="checkbox" id="read-receipts" ${s.readReceipts ? 'checked' : ''}> Send read receipts</label>
    <label style="display:block"><input type="checkbox" id="previews" ${s.previews ? 'checked' : ''}> Show message previews</label>
    <label style="display:block"><input type="checkbox" id="notif-toggle" ${state.notifications ? 'checked' : ''}> Desktop notifications</label>
    <p id="settings-note" class="muted"></p></form>
    <p><a href="#/privacy" id="settings-privacy">Privacy policy</a></p>
    <button type="button" id="export-chats">Export chat history</button></div>`;
  $('#theme').addEventListener('change', (e) => { s.theme = e.target.value; document.body.classList.toggle('dark', s.theme === 'dark'); });
  $('#font-size').addEventListener('change', (e) => { s.font = e.target.value; document.body.classList.toggle('font-large', s.font === 'large'); });
  $('#enter-send').addEventListener('change', (e) => { s.enterToSend = e.target.checked; $('#settings-note').textContent = s.enterToSend ? '' : 'Use the Send button to send messages.'; });
  $('#read-receipts').addEventListener('change', (e) => { s.readReceipts = e.target.checked; $('#settings-note').textContent = s.readReceipts ? '' : 'You will not see other people\'s receipts either.'; });
  $('#previews').addEventListener('change', (e) => { s.previews = e.target.checked; });
  $('#notif-toggle').addEventListener('change', (e) => { state.notifications = e.target.checked; toast(e.target.checked ? 'Notifications on' : 'Notifications off'); });
  $('#export-chats').addEventListener('click', () => {
    const total = state.chats.reduce((n, c) => n + c.msgs.length, 0);
    openModal('Export', `<p id="export-summary">${state.chats.length} chats, ${total} messages ready to export.</p><button type="button" id="export-go" class="primary">Download</button>`, () => {
      $('#export-go').addEventListener('click', () => { closeModal(); toast('Export prepared (demo)'); });
    });
  });
}

function renderPrivacy() {
  view().innerHTML = `<div class="page"><h1>Privacy policy</h1><p>Messages in this demo never leave your browser tab.</p>
    <p>Closing or reloading the page erases everything.</p><p class="muted">Use the browser's back button to return.</p></div>`;
}

/* ---------- shared UI ---------- */
function showTip(el, text) {
  const tip = $('#tooltip');
  const r = el.getBoundingClientRect();
  tip.textContent = text;
  tip.style.left = r.left + 'px';
  tip.style.top = Math.max(4, r.top - 34) + 'px';
  tip.classList.remove('hidden');
}

function hideTip() { $('#tooltip').classList.add('hidden'); }

function openModal(title, html, onMount) {
  $('#modal-root').innerHTML = `<div class="overlay" id="modal-overlay"><div class="dialog" role="dialog" aria-modal="true" aria-label="${esc(title)}">
    <div class="row" style="justify-content:space-between"><h2>${esc(title)}</h2><button type="button" id="modal-close" aria-label="Close dialog">✕</button></div>${html}</div></div>`;
  $('#modal-close').addEventListener('click', closeModal);
  if (onMount) onMount();
}

function closeModal() { $('#modal-root').innerHTML = ''; }

function confirmDialog(q, onYes) {
  openModal('Please confirm', `<p>${esc(q)}</p><div class="row"><button type="button" id="confirm-no">Cancel</button><button type="button" id="confirm-yes" class="primary">Yes</button></div>`, () => {
    $('#confirm-no').addEventListener('click', closeModal);
    $('#confirm-yes').addEventListener('click', () => { closeModal(); onYes(); });
  });
}

function answerPrompt(allow) {
  state.notifyAnswered = true;
  state.notifications = allow;
  $('#notify-prompt').classList.add('hidden');
  toast(allow ? 'Notifications enabled' : 'You can enable notifications in Settings');
}

function init() {
  seed();
  $$('.mainnav button').forEach((b) => b.addEventListener('click', () => go(b.dataset.route)));
  $('#presence').addEventListener('change', (e) => { state.presence = e.target.value; if (e.target.value === 'away') toast('Status set to away'); });
  $('#notify-allow').addEventListener('click', () => answerPrompt(true));
  $('#notify-later').addEventListener('click', () => answerPrompt(false));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeModal();
    if (e.key === 'k' && e.ctrlKey) { e.preventDefault(); const s = $('#contact-search'); if (s) s.focus(); }
  });
  window.addEventListener('hashchange', () => { state.chatQuery = ''; state.replyTo = null; render(); });
  render();
}

init();

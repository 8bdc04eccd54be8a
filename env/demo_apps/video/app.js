/* JAMEL Demo Video - a pretend video streaming site with a simulated player.
 * Playback is simulated with setInterval; no media files are loaded. */
'use strict';

const CHANNELS = {
  c1: { name: 'Beat Lab', subs: 120400, about: 'Lo-fi beats and live sessions.' },
  c2: { name: 'Pixel Quest', subs: 89000, about: 'Speedruns and retro game history.' },
  c3: { name: 'Kitchen Nook', subs: 45100, about: 'Quick weeknight recipes.' },
  c4: { name: 'Lab Notes', subs: 230000, about: 'Science explained with whiteboards.' },
  c5: { name: 'Wander Far', subs: 67000, about: 'Slow travel diaries.' },
};
const VIDEOS = [
  { id: 'v1', title: 'Rainy Day Lo-fi Mix', ch: 'c1', topic: 'music', views: 1520000, len: 180, icon: '🎵', desc: 'An hour of chill beats, compressed into three minutes.' },
  { id: 'v2', title: 'Any% Speedrun Explained', ch: 'c2', topic: 'gaming', views: 410000, len: 240, icon: '🎮', desc: 'Every glitch in the world record route.' },
  { id: 'v3', title: '10-Minute Ramen', ch: 'c3', topic: 'cooking', views: 98000, len: 120, icon: '🍜', desc: 'Fast, cheap and surprisingly good.' },
  { id: 'v4', title: 'Why Is the Sky Blue?', ch: 'c4', topic: 'science', views: 2300000, len: 200, icon: '🔭', desc: 'Rayleigh scattering with a flashlight and milk.' },
  { id: 'v5', title: 'Night Train to Lisbon', ch: 'c5', topic: 'travel', views: 56000, len: 260, icon: '🚆', desc: 'Twelve hours across Iberia.' },
  { id: 'v6', title: 'Live Piano Session #12', ch: 'c1', topic: 'music', views: 33000, len: 150, icon: '🎹', desc: 'Requests from the chat, played live.' },
  { id: 'v7', title: 'Top 5 Co-op Games', ch: 'c2', topic: 'gaming', views: 770000, len: 210, icon: '🕹️', desc: 'Grab a friend for these.' },
  { id: 'v8', title: 'Sourdough for Beginners', ch: 'c3', topic: 'cooking', views: 640000, len: 280, icon: '🍞', desc: 'Starter, stretch, fold, bake.' },
  { id: 'v9', title: 'Black Holes in 3 Minutes', ch: 'c4', topic: 'science', views: 1110000, len: 180, icon: '🕳️', desc: 'Event horizons without the maths.' },
];
const CAPTIONS = ['[music]', 'Welcome back to the channel!', 'Let\'s get started.', 'Here is the key idea.', 'Thanks for watching.'];

const state = {
  interests: [], topic: 'all', query: '', searchSort: 'relevance', subs: new Set(), likes: {}, history: [], watchLater: new Set(),
  playlists: [{ id: 'p1', name: 'Favourites', items: ['v4'] }], comments: { v1: [{ id: 1, who: 'mara', text: 'Perfect study music', likes: 12, mine: false, replies: [] }] },
  commentSeq: 100, commentSort: 'top', player: null, queue: null, autoplay: true, theater: false, uploads: [], playlistSeq: 1,
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const view = () => $('#view');
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const allVideos = () => VIDEOS.concat(state.uploads.filter((u) => u.ready));
const findVideo = (id) => allVideos().find((v) => v.id === id);

function fmtViews(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M views';
  if (n >= 1e3) return Math.round(n / 1e3) + 'K views';
  return n + ' views';
}

function fmtTime(sec) {
  return Math.floor(sec / 60) + ':' + String(Math.floor(sec % 60)).padStart(2, '0');
}

function toast(msg) {
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
  return { name: parts[0] || 'home', arg: parts[1] ? decodeURIComponent(parts[1]) : undefined };
}

function render() {
  stopPlayer();
  const { name, arg } = parseHash();
  document.body.classList.toggle('bare', name === 'guidelines');
  $$('.mainnav button').forEach((b) => b.classList.toggle('active', b.dataset.route === name));
  const routes = {
    home: renderHome, trending: renderTrending, subscriptions: renderSubs, library: renderLibrary, upload: renderUpload,
    watch: () => renderWatch(arg), channel: () => renderChannel(arg), playlist: () => renderPlaylist(arg), search: renderSearch, guidelines: renderGuidelines,
  };
  (routes[name] || renderHome)();
}

/* ---------- lists ---------- */
function videoCard(v) {
  return `<article class="card"><div class="vthumb" aria-hidden="true">${v.icon}<span class="dur">${fmtTime(v.len)}</span></div>
    <h3><a href="#/watch/${v.id}" id="watch-link-${v.id}" class="vlink" data-id="${v.id}">${esc(v.title)}</a></h3>
    <div class="muted"><a href="#/channel/${v.ch}" id="ch-link-${v.id}">${esc(CHANNELS[v.ch].name)}</a> · ${fmtViews(v.views)}</div>
    <button type="button" id="wl-${v.id}" class="wl" data-id="${v.id}" aria-label="${state.watchLater.has(v.id) ? 'Remove from' : 'Add to'} watch later" aria-pressed="${state.watchLater.has(v.id)}">${state.watchLater.has(v.id) ? '✓ Watch later' : '🕒 Watch later'}</button></article>`;
}

function bindCards() {
  $$('.vlink').forEach((a) => {
    a.addEventListener('mouseenter', () => {
      const v = findVideo(a.dataset.id);
      const tip = $('#tooltip');
      const r = a.getBoundingClientRect();
      tip.textContent = `Preview: ${v.desc} (${fmtTime(v.len)})`;
      tip.style.left = r.left + 'px';
      tip.style.top = r.bottom + 6 + 'px';
      tip.classList.remove('hidden');
    });
    a.addEventListener('mouseleave', () => $('#tooltip').classList.add('hidden'));
  });
  $$('.wl').forEach((b) => b.addEventListener('click', () => toggleWatchLater(b.dataset.id)));
}

function toggleWatchLater(id) {
  if (state.watchLater.has(id)) { state.watchLater.delete(id); toast('Removed from Watch later'); } else { state.watchLater.add(id); toast('Saved to Watch later'); }
  render();
}

function renderHome() {
  const topics = ['all', 'music', 'gaming', 'cooking', 'science', 'travel'];
  let list = allVideos().filter((v) => state.topic === 'all' || v.topic === state.topic);
  if (state.topic === 'all' && state.interests.length) {
    list = list.slice().sort((a, b) => Number(state.interests.includes(b.topic)) - Number(state.interests.includes(a.topic)));
  }
  view().innerHTML = `<div class="chips" role="toolbar" aria-label="Topics">${topics.map((t) => `<button type="button" id="chip-${t}" class="chip ${t === state.topic ? 'active' : ''}" data-topic="${t}" aria-pressed="${t === state.topic}">${t}</button>`).join('')}</div>
    ${state.interests.length ? `<p class="muted" id="tuned">Tuned for: ${state.interests.join(', ')}</p>` : ''}
    <div class="grid">${list.map(videoCard).join('') || '<p id="no-videos">No videos in this topic yet.</p>'}</div>`;
  $$('.chip').forEach((c) => c.addEventListener('click', () => { state.topic = c.dataset.topic; render(); }));
  bindCards();
}

function renderTrending() {
  const list = allVideos().slice().sort((a, b) => b.views - a.views).slice(0, 6);
  view().innerHTML = `<h1>Trending</h1><ol id="trending-list">${list.map((v, i) => `<li class="side-item"><strong>#${i + 1}</strong> ${v.icon}
    <a href="#/watch/${v.id}" id="trend-${v.id}">${esc(v.title)}</a> <span class="muted">${fmtViews(v.views)}</span>${i === 0 ? ' <span class="badge">🔥 Hot</span>' : ''}</li>`).join('')}</ol>`;
}

function renderSubs() {
  const list = allVideos().filter((v) => state.subs.has(v.ch));
  view().innerHTML = `<h1>Subscriptions</h1>${state.subs.size === 0 ? '<p id="no-subs">You have no subscriptions yet. Open a video and press Subscribe.</p>'
    : `<p class="muted">${[...state.subs].map((c) => `<a href="#/channel/${c}" id="sub-ch-${c}">${esc(CHANNELS[c].name)}</a>`).join(' · ')}</p><div class="grid">${list.map(videoCard).join('')}</div>`}`;
  bindCards();
}

function runSearch() {
  const q = $('#search').value.trim();
  if (!q) { toast('Type something to search'); return; }
  state.query = q;
  if (parseHash().name === 'search') render(); else go('search');
}

function renderSearch() {
  const q = state.query.toLowerCase();
  const score = (v) => (v.title.toLowerCase().includes(q) ? 2 : 0) + (v.desc.toLowerCase().includes(q) ? 1 : 0) + (CHANNELS[v.ch].name.toLowerCase().includes(q) ? 1 : 0) + (v.topic === q ? 2 : 0);
  let list = allVideos().filter((v) => score(v) > 0);
  if (state.searchSort === 'views') list.sort((a, b) => b.views - a.views);
  else if (state.searchSort === 'length') list.sort((a, b) => a.len - b.len);
  else list.sort((a, b) => score(b) - score(a));
  view().innerHTML = `<h1>Results for “${esc(state.query)}”</h1>
    <div class="toolbar"><label for="search-sort">Sort by</label><select id="search-sort">${['relevance', 'views', 'length'].map((s) => `<option ${s === state.searchSort ? 'selected' : ''}>${s}</option>`).join('')}</select>
    <span id="search-count">${list.length} result(s)</span></div>
    ${list.length ? `<div class="grid">${list.map(videoCard).join('')}</div>` : `<p id="no-results">No videos found. Try <button type="button" class="link" id="try-music">music</button>.</p>`}`;
  $('#search-sort').addEventListener('change', (e) => { state.searchSort = e.target.value; render(); });
  const tm = $('#try-music');
  if (tm) tm.addEventListener('click', () => { $('#search').value = 'music'; runSearch(); });
  bindCards();
}

/* ---------- watch page & player ---------- */
function renderWatch(id) {
  const v = findVideo(id);
  if (!v) { view().innerHTML = '<h1>Video unavailable</h1><p id="unavailable">This video does not exist or was removed.</p>'; return; }
  state.history = [id, ...state.history.filter((x) => x !== id)].slice(0, 8);
  state.player = { id, t: 0, playing: false, speed: 1, muted: false, cc: false, quality: 'auto', timer: null, ended: false };
  const like = state.likes[id] || 0;
  const subbed = state.subs.has(v.ch);
  const upNext = nextVideo(id);
  view().innerHTML = `<div class="watch ${state.theater ? 'theater' : ''}" id="watch"><section>
    <div class="screen" id="screen" aria-label="Video screen">${v.icon}<span class="cc hidden" id="cc-line"></span></div>
    <div class="progress" aria-hidden="true"><div id="progress-bar" style="width:0%"></div></div>
    <div class="controls" role="toolbar" aria-label="Player controls">
      <button type="button" id="play" class="primary" aria-label="Play">▶ Play</button>
      <button type="button" id="back10" aria-label="Rewind 10 seconds">⏪ 10s</button>
      <button type="button" id="fwd10" aria-label="Forward 10 seconds">10s ⏩</button>
      <span id="time">0:00 / ${fmtTime(v.len)}</span>
      <button type="button" id="mute" aria-label="Mute" aria-pressed="false">🔊</button>
      <label for="speed">Speed</label><select id="speed">${[0.5, 1, 1.5, 2].map((s) => `<option value="${s}" ${s === 1 ? 'selected' : ''}>${s}×</option>`).join('')}</select>
      <label for="quality">Quality</label><select id="quality">${['auto', '1080p', '720p', '360p'].map((q) => `<option>${q}</option>`).join('')}</select>
      <button type="button" id="cc" aria-pressed="false">CC</button>
      <button type="button" id="theater" aria-pressed="${state.theater}">Theater mode</button>
    </div>
    <p id="quality-note" class="muted"></p>
    <h1>${esc(v.title)}</h1>
    <div class="row"><a href="#/channel/${v.ch}" id="watch-channel">${esc(CHANNELS[v.ch].name)}</a> <span class="muted">${fmtViews(v.views)}</span>
      <button type="button" id="subscribe" class="${subbed ? '' : 'primary'}">${subbed ? 'Subscribed ✓' : 'Subscribe'}</button>
      <button type="button" id="like" aria-pressed="${like === 1}">👍 ${like === 1 ? 'Liked' : 'Like'}</button>
      <button type="button" id="dislike" aria-pressed="${like === -1}">👎</button>
      <button type="button" id="save">Save to playlist</button>
      <button type="button" id="share">Share</button>
      <button type="button" id="report" aria-label="Report video">⚑</button></div>
    <details id="desc"><summary>Description</summary><p>${esc(v.desc)}</p></details>
    <div id="comments"></div></section>
    <aside aria-label="Up next"><h2>Up next</h2><label><input type="checkbox" id="autoplay" ${state.autoplay ? 'checked' : ''}> Autoplay</label>
      <div id="upnext-box"></div>
      ${state.queue ? `<p class="muted" id="queue-info">Playing playlist “${esc(state.queue.name)}” (${state.queue.pos + 1}/${state.queue.items.length})
        <button type="button" id="queue-prev" aria-label="Previous in playlist">⏮</button><button type="button" id="queue-next" aria-label="Next in playlist">⏭</button>
        <button type="button" id="queue-exit">Exit playlist</button></p>` : ''}
      ${upNext ? `<div class="side-item">${upNext.icon} <a href="#/watch/${upNext.id}" id="next-link">${esc(upNext.title)}</a></div>` : ''}</aside></div>`;
  bindPlayer(v);
  bindWatchActions(v);
  renderComments(v.id);
}

function nextVideo(id) {
  if (state.queue) {
    const items = state.queue.items;
    return state.queue.pos + 1 < items.length ? findVideo(items[state.queue.pos + 1]) : null;
  }
  const v = findVideo(id);
  return VIDEOS.find((x) => x.id !== id && x.topic === v.topic) || VIDEOS.find((x) => x.id !== id);
}

function bindPlayer(v) {
  $('#play').addEventListener('click', togglePlay);
  $('#screen').addEventListener('click', togglePlay);
  $('#back10').addEventListener('click', () => seek(-10));
  $('#fwd10').addEventListener('click', () => seek(10));
  $('#mute').addEventListener('click', toggleMute);
  $('#speed').addEventListener('change', (e) => { state.player.speed = Number(e.target.value); toast('Speed ' + e.target.value + '×'); });
  $('#quality').addEventListener('change', (e) => {
    state.player.quality = e.target.value;
    $('#quality-note').textContent = e.target.value === '1080p' ? 'HD may buffer on slow connections.' : (e.target.value === '360p' ? 'Data saver quality.' : '');
  });
  $('#cc').addEventListener('click', () => {
    state.player.cc = !state.player.cc;
    $('#cc').setAttribute('aria-pressed', String(state.player.cc));
    $('#cc-line').classList.toggle('hidden', !state.player.cc);
    updatePlayerUI(v);
  });
  $('#theater').addEventListener('click', () => { state.theater = !state.theater; $('#watch').classList.toggle('theater', state.theater); $('#theater').setAttribute('aria-pressed', String(state.theater)); });
  $('#autoplay').addEventListener('change', (e) => { state.autoplay = e.target.checked; });
}

function togglePlay() {
  const p = state.player;
  if (!p) return;
  if (p.ended) { p.t = 0; p.ended = false; $('#upnext-box').innerHTML = ''; }
  p.playing = !p.playing;
  if (p.playing) p.timer = setInterval(tick, 200); else clearInterval(p.timer);
  $('#play').textContent = p.playing ? '⏸ Pause' : '▶ Play';
  $('#play').setAttribute('aria-label', p.playing ? 'Pause' : 'Play');
}

function tick() {
  const p = state.player;
  const v = findVideo(p.id);
  p.t = Math.min(v.len, p.t + 10 * p.speed);
  updatePlayerUI(v);
  if (p.t >= v.len) onEnded(v);
}

function seek(delta) {
  const p = state.player;
  const v = findVideo(p.id);
  p.t = Math.max(0, Math.min(v.len, p.t + delta));
  updatePlayerUI(v);
  if (p.t >= v.len && !p.ended) onEnded(v);
}

function toggleMute() {
  const p = state.player;
  p.muted = !p.muted;
  $('#mute').textContent = p.muted ? '🔇' : '🔊';
  $('#mute').setAttribute('aria-label', p.muted ? 'Unmute' : 'Mute');
  $('#mute').setAttribute('aria-pressed', String(p.muted));
}

function updatePlayerUI(v) {
  const p = state.player;
  $('#progress-bar').style.width = (100 * p.t / v.len).toFixed(1) + '%';
  $('#time').textContent = `${fmtTime(p.t)} / ${fmtTime(v.len)}`;
  if (p.cc) $('#cc-line').textContent = CAPTIONS[Math.min(CAPTIONS.length - 1, Math.floor(p.t / v.len * CAPTIONS.length))];
}

function onEnded(v) {
  const p = state.player;
  clearInterval(p.timer);
  p.playing = false;
  p.ended = true;
  $('#play').textContent = '↻ Replay';
  const next = nextVideo(v.id);
  if (!state.autoplay || !next) { $('#upnext-box').innerHTML = '<p id="ended-msg">Video ended.</p>'; return; }
  let count = 3;
  const box = $('#upnext-box');
  const paint = () => { box.innerHTML = `<div class="upnext" id="upnext-count">Playing “${esc(next.title)}” in ${count}… <button type="button" id="upnext-cancel">Cancel</button> <button type="button" id="upnext-now">Play now</button></div>`; bindUpNext(next); };
  paint();
  p.countdown = setInterval(() => {
    count -= 1;
    if (count <= 0) { clearInterval(p.countdown); advanceTo(next); return; }
    paint();
  }, 600);
}

function bindUpNext(next) {
  $('#upnext-cancel').addEventListener('click', () => { clearInterval(state.player.countdown); $('#upnext-box').innerHTML = '<p id="autoplay-cancelled">Autoplay cancelled.</p>'; });
  $('#upnext-now').addEventListener('click', () => { clearInterval(state.player.countdown); advanceTo(next); });
}

function advanceTo(next) {
  if (state.queue) state.queue.pos += 1;
  go('watch/' + next.id);
}

function stopPlayer() {
  if (!state.player) return;
  clearInterval(state.player.timer);
  clearInterval(state.player.countdown);
  state.player = null;
}

function bindWatchActions(v) {
  $('#subscribe').addEventListener('click', () => {
    if (!state.subs.has(v.ch)) { state.subs.add(v.ch); toast('Subscribed to ' + CHANNELS[v.ch].name); refreshActions(v); return; }
    confirmDialog(`Unsubscribe from ${CHANNELS[v.ch].name}?`, () => { state.subs.delete(v.ch); refreshActions(v); });
  });
  $('#like').addEventListener('click', () => { state.likes[v.id] = state.likes[v.id] === 1 ? 0 : 1; refreshActions(v); });
  $('#dislike').addEventListener('click', () => { state.likes[v.id] = state.likes[v.id] === -1 ? 0 : -1; refreshActions(v); });
  $('#save').addEventListener('click', () => openSaveModal(v));
  $('#share').addEventListener('click', () => openShareModal(v));
  $('#report').addEventListener('click', () => openReportModal(v));
  const qp = $('#queue-prev');
  if (qp) {
    qp.addEventListener('click', () => moveQueue(-1));
    $('#queue-next').addEventListener('click', () => moveQueue(1));
    $('#queue-exit').addEventListener('click', () => { state.queue = null; render(); });
  }
}

function refreshActions(v) {
  const like = state.likes[v.id] || 0;
  const subbed = state.subs.has(v.ch);
  $('#subscribe').textContent = subbed ? 'Subscribed ✓' : 'Subscribe';
  $('#subscribe').className = subbed ? '' : 'primary';
  $('#like').textContent = '👍 ' + (like === 1 ? 'Liked' : 'Like');
  $('#like').setAttribute('aria-pressed', String(like === 1));
  $('#dislike').setAttribute('aria-pressed', String(like === -1));
}

function moveQueue(delta) {
  const q = state.queue;
  const pos = q.pos + delta;
  if (pos < 0 || pos >= q.items.length) { toast(delta < 0 ? 'This is the first video' : 'End of playlist'); return; }
  q.pos = pos;
  go('watch/' + q.items[pos]);
}

/* ---------- comments ---------- */
function renderComments(id) {
  const list = (state.comments[id] || []).slice();
  if (state.commentSort === 'top') list.sort((a, b) => b.likes - a.likes); else list.sort((a, b) => b.id - a.id);
  $('#comments').innerHTML = `<h2>${list.length} comment(s)</h2>
    <div class="row"><label for="comment-sort">Sort</label><select id="comment-sort"><option value="top" ${state.commentSort === 'top' ? 'selected' : ''}>Top</option><option value="new" ${state.commentSort === 'new' ? 'selected' : ''}>Newest</option></select></div>
    <form id="comment-form" class="row" novalidate><label for="comment-text">Add a comment</label><input id="comment-text" maxlength="250" style="flex:1">
      <button type="submit" id="comment-post">Comment</button></form><p class="error" id="comment-error"></p>
    ${list.map((c) => `<div class="comment" id="comment-${c.id}" data-id="${c.id}"><strong>@${esc(c.who)}</strong> <span class="ctext">${esc(c.text)}</span>
      <span class="muted">♥ ${c.likes}</span> <button type="button" id="clike-${c.id}" class="clike" data-id="${c.id}" aria-label="Like comment">♥</button>
      <button type="button" id="creply-${c.id}" class="creply" data-id="${c.id}">Reply</button>
      ${c.mine ? `<button type="button" id="cdel-${c.id}" class="cdel" data-id="${c.id}">Delete</button>` : ''}
      ${c.replies.map((r) => `<div class="muted" style="margin-left:24px">↳ ${esc(r)}</div>`).join('')}</div>`).join('')}`;
  $('#comment-sort').addEventListener('change', (e) => { state.commentSort = e.target.value; renderComments(id); });
  $('#comment-form').addEventListener('submit', (e) => { e.preventDefault(); postComment(id); });
  $$('.clike').forEach((b) => b.addEventListener('click', () => likeComment(id, Number(b.dataset.id))));
  $$('.comment').forEach((el) => el.addEventListener('dblclick', () => likeComment(id, Number(el.dataset.id))));
  $$('.creply').forEach((b) => b.addEventListener('click', () => openReply(id, Number(b.dataset.id))));
  $$('.cdel').forEach((b) => b.addEventListener('click', () => confirmDialog('Delete your comment?', () => {
    state.comments[id] = state.comments[id].filter((c) => c.id !== Number(b.dataset.id));
    renderComments(id);
  })));
}

function postComment(id) {
  const text = $('#comment-text').value.trim();
  const err = $('#comment-error');
  if (!text) { err.textContent = 'Comment cannot be empty.'; return; }
  if (text.length > 200) { err.textContent = 'Comments are limited to 200 characters.'; return; }
  if (/\b(spam|buy now)\b/i.test(text)) { err.textContent = 'This comment looks like spam.'; return; }
  state.commentSeq += 1;
  (state.comments[id] = state.comments[id] || []).push({ id: state.commentSeq, who: 'you', text, likes: 0, mine: true, replies: [] });
  renderComments(id);
  toast('Comment posted');
}

function likeComment(vid, cid) {
  const c = state.comments[vid].find((x) => x.id === cid);
  c.liked = !c.liked;
  c.likes += c.liked ? 1 : -1;
  renderComments(vid);
}

function openReply(vid, cid) {
  openModal('Reply', `<div class="field"><label for="reply-text">Your reply</label><input id="reply-text"><span class="error" id="reply-error"></span></div>
    <button type="button" id="reply-send" class="primary">Reply</button>`, () => {
    $('#reply-send').addEventListener('click', () => {
      const t = $('#reply-text').value.trim();
      if (t.length < 2) { $('#reply-error').textContent = 'Reply is too short.'; return; }
      state.comments[vid].find((x) => x.id === cid).replies.push(t);
      closeModal();
      renderComments(vid);
    });
  });
}

/* ---------- modals for save / share / report ---------- */
function openSaveModal(v) {
  openModal('Save to…', `${state.playlists.map((p) => `<label style="display:block"><input type="checkbox" class="pl-check" id="pl-check-${p.id}" data-id="${p.id}" ${p.items.includes(v.id) ? 'checked' : ''}> ${esc(p.name)}</label>`).join('')}
    <label style="display:block"><input type="checkbox" id="wl-check" ${state.watchLater.has(v.id) ? 'checked' : ''}> Watch later</label>
    <form id="new-pl-form" class="row" novalidate><label for="new-pl-name">New playlist</label><input id="new-pl-name"><button type="submit" id="new-pl-create">Create</button></form>
    <p class="error" id="new-pl-error"></p>`, () => {
    $$('.pl-check').forEach((c) => c.addEventListener('change', () => {
      const p = state.playlists.find((x) => x.id === c.dataset.id);
      if (c.checked) p.items.push(v.id); else p.items = p.items.filter((x) => x !== v.id);
      toast(c.checked ? `Added to ${p.name}` : `Removed from ${p.name}`);
    }));
    $('#wl-check').addEventListener('change', (e) => { if (e.target.checked) state.watchLater.add(v.id); else state.watchLater.delete(v.id); });
    $('#new-pl-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const name = $('#new-pl-name').value.trim();
      if (name.length < 3) { $('#new-pl-error').textContent = 'Name needs at least 3 characters.'; return; }
      if (state.playlists.some((p) => p.name.toLowerCase() === name.toLowerCase())) { $('#new-pl-error').textContent = 'You already have a playlist with that name.'; return; }
      state.playlistSeq += 1;
      state.playlists.push({ id: 'p' + state.playlistSeq, name, items: [v.id] });
      openSaveModal(v);
      toast('Playlist created');
    });
  });
}

function openShareModal(v) {
  const link = (t) => `https://video.example/watch/${v.id}${t ? '?t=' + Math.floor(t) : ''}`;
  const time = state.player ? state.player.t : 0;
  openModal('Share', `<p><code id="share-link">${link(0)}</code></p>
    <label><input type="checkbox" id="share-start"> Start at ${fmtTime(time)}</label>
    <div class="row"><button type="button" id="share-copy" class="primary">Copy link</button><button type="button" id="share-embed">Embed</button></div><pre id="embed-code" class="hidden"></pre>`, () => {
    $('#share-start').addEventListener('change', (e) => { $('#share-link').textContent = link(e.target.checked ? time : 0); });
    $('#share-copy').addEventListener('click', () => { toast('Link copied'); closeModal(); });
    $('#share-embed').addEventListener('click', () => { const pre = $('#embed-code'); pre.textContent = `<iframe src="${$('#share-link').textContent}"></iframe>`; pre.classList.remove('hidden'); });
  });
}

function openReportModal(v) {
  const reasons = ['Spam or misleading', 'Violent content', 'Copyright', 'Other'];
  openModal('Report video', `<fieldset><legend>Reason</legend>${reasons.map((r, i) => `<label style="display:block"><input type="radio" name="reason" id="reason-${i}" value="${r}"> ${r}</label>`).join('')}</fieldset>
    <div class="field"><label for="report-details">Details</label><textarea id="report-details" rows="2"></textarea></div>
    <p class="error" id="report-error"></p><p class="muted">See our <a href="#/guidelines" id="guidelines-link">community guidelines</a>.</p>
    <button type="button" id="report-send" class="primary">Submit report</button>`, () => {
    $('#guidelines-link').addEventListener('click', closeModal);
    $('#report-send').addEventListener('click', () => {
      const r = $$('input[name=reason]').find((x) => x.checked);
      if (!r) { $('#report-error').textContent = 'Choose a reason.'; return; }
      if (r.value === 'Other' && $('#report-details').value.trim().length < 10) { $('#report-error').textContent = 'Please describe the problem (10+ characters).'; return; }
      closeModal();
      toast('Thanks, we will review ' + v.title);
    });
  });
}

/* ---------- channel, library, playlists ---------- */
function renderChannel(cid) {
  const ch = CHANNELS[cid];
  if (!ch) { go('home'); return; }
  const tab = state.channelTab || 'videos';
  view().innerHTML = `<div class="hero-banner"><h1>${esc(ch.name)}</h1><p>${fmtViews(ch.subs + (state.subs.has(cid) ? 1 : 0)).replace('views', 'subscribers')}</p>
    <button type="button" id="ch-subscribe">${state.subs.has(cid) ? 'Unsubscribe' : 'Subscribe'}</button></div>
    <div class="row" role="tablist"><button type="button" role="tab" id="tab-videos" aria-selected="${tab === 'videos'}">Videos</button><button type="button" role="tab" id="tab-about" aria-selected="${tab === 'about'}">About</button></div>
    ${tab === 'videos' ? `<div class="grid">${allVideos().filter((v) => v.ch === cid).map(videoCard).join('')}</div>` : `<p id="ch-about">${esc(ch.about)}</p>`}`;
  $('#ch-subscribe').addEventListener('click', () => { if (state.subs.has(cid)) state.subs.delete(cid); else state.subs.add(cid); render(); });
  $('#tab-videos').addEventListener('click', () => { state.channelTab = 'videos'; render(); });
  $('#tab-about').addEventListener('click', () => { state.channelTab = 'about'; render(); });
  bindCards();
}

function renderLibrary() {
  view().innerHTML = `<h1>Library</h1><h2>History</h2>${state.history.length ? `<ul id="history">${state.history.map((id) => `<li><a href="#/watch/${id}" id="hist-${id}">${esc(findVideo(id).title)}</a></li>`).join('')}</ul>
    <button type="button" id="clear-history">Clear watch history</button>` : '<p id="no-history">Nothing watched yet.</p>'}
    <h2>Watch later (${state.watchLater.size})</h2><ul>${[...state.watchLater].map((id) => `<li><a href="#/watch/${id}" id="later-${id}">${esc(findVideo(id).title)}</a></li>`).join('')}</ul>
    <h2>Playlists</h2><ul>${state.playlists.map((p) => `<li><a href="#/playlist/${p.id}" id="playlist-${p.id}">${esc(p.name)}</a> <span class="muted">${p.items.length} video(s)</span></li>`).join('')}</ul>
    ${state.uploads.length ? `<h2>Your uploads</h2><ul id="uploads">${state.uploads.map((u) => `<li>${esc(u.title)} — ${u.ready ? `<a href="#/watch/${u.id}" id="upl-${u.id}">watch</a>` : 'processing…'} (${u.visibility})</li>`).join('')}</ul>` : ''}`;
  const ch = $('#clear-history');
  if (ch) ch.addEventListener('click', () => confirmDialog('Clear your whole watch history?', () => { state.history = []; render(); }));
}

function renderPlaylist(pid) {
  const p = state.playlists.find((x) => x.id === pid);
  if (!p) { go('library'); return; }
  view().innerHTML = `<p><a href="#/library" id="back-library">← Library</a></p><h1>${esc(p.name)}</h1>
    ${p.items.length ? `<div class="row"><button type="button" id="play-all" class="primary">▶ Play all</button><button type="button" id="reverse">Reverse order</button></div>
    <ol>${p.items.map((id, i) => `<li class="side-item">${esc(findVideo(id).title)} <button type="button" id="up-${i}" class="up" data-i="${i}" aria-label="Move up" ${i === 0 ? 'disabled' : ''}>↑</button>
      <button type="button" id="rm-${i}" class="rm" data-i="${i}" aria-label="Remove from playlist">✕</button></li>`).join('')}</ol>` : '<p id="empty-playlist">This playlist is empty.</p>'}
    ${p.id !== 'p1' ? '<button type="button" id="delete-playlist">Delete playlist</button>' : ''}`;
  const pa = $('#play-all');
  if (pa) {
    pa.addEventListener('click', () => { state.queue = { name: p.name, items: p.items.slice(), pos: 0 }; go('watch/' + p.items[0]); });
    $('#reverse').addEventListener('click', () => { p.items.reverse(); render(); });
  }
  $$('.up').forEach((b) => b.addEventListener('click', () => { const i = Number(b.dataset.i); [p.items[i - 1], p.items[i]] = [p.items[i], p.items[i - 1]]; render(); }));
  $$('.rm').forEach((b) => b.addEventListener('click', () => { p.items.splice(Number(b.dataset.i), 1); render(); }));
  const del = $('#delete-playlist');
  if (del) del.addEventListener('click', () => confirmDialog(`Delete “${p.name}”?`, () => { state.playlists = state.playlists.filter((x) => x !== p); go('library'); }));
}

/* ---------- upload ---------- */
function renderUpload() {
  view().innerHTML = `<h1>Upload a video</h1><form id="upload-form" class="card" novalidate>
    <div class="field"><label for="up-clip">Source clip</label><select id="up-clip"><option value="">Choose a clip…</option><option value="🎬">holiday.mp4</option><option value="🐈">cat.mov</option><option value="🎤">talk.webm</option></select><span class="error" id="up-clip-error"></span></div>
    <div class="field"><label for="up-title">Title</label><input id="up-title" maxlength="80"><span class="error" id="up-title-error"></span></div>
    <div class="field"><label for="up-desc">Description</label><textarea id="up-desc" rows="2"></textarea></div>
    <div class="field"><label for="up-tags">Tags (comma separated, max 5)</label><input id="up-tags"><span class="error" id="up-tags-error"></span></div>
    <div class="field"><label for="up-topic">Topic</label><select id="up-topic">${['music', 'gaming', 'cooking', 'science', 'travel'].map((t) => `<option>${t}</option>`).join('')}</select></div>
    <div class="field"><label for="up-visibility">Visibility</label><select id="up-visibility"><option value="public">Public</option><option value="unlisted">Unlisted</option><option value="private">Private</option><option value="scheduled">Scheduled</option></select></div>
    <div class="field hidden" id="schedule-field"><label for="up-date">Publish on</label><input type="date" id="up-date"><span class="error" id="up-date-error"></span></div>
    <label><input type="checkbox" id="up-kids"> Made for kids</label>
    <div class="row"><button type="submit" id="up-submit" class="primary">Upload</button></div>
    <div class="progress hidden" id="up-progress"><div id="up-bar" style="width:0%"></div></div><p id="up-status"></p></form>`;
  $('#up-visibility').addEventListener('change', (e) => $('#schedule-field').classList.toggle('hidden', e.target.value !== 'scheduled'));
  $('#up-kids').addEventListener('change', (e) => { if (e.target.checked) toast('Comments will be disabled for kids content'); });
  $('#upload-form').addEventListener('submit', (e) => { e.preventDefault(); submitUpload(); });
}

function submitUpload() {
  const d = { clip: $('#up-clip').value, title: $('#up-title').value.trim(), tags: $('#up-tags').value.split(',').map((t) => t.trim()).filter(Boolean), visibility: $('#up-visibility').value, date: $('#up-date').value };
  const errs = { 'up-clip': '', 'up-title': '', 'up-tags': '', 'up-date': '' };
  if (!d.clip) errs['up-clip'] = 'Choose a clip to upload.';
  if (d.title.length < 4) errs['up-title'] = 'Title needs at least 4 characters.';
  else if (d.title === d.title.toUpperCase() && /[A-Z]/.test(d.title)) errs['up-title'] = 'Please don\'t use all caps.';
  if (d.tags.length > 5) errs['up-tags'] = 'At most 5 tags.';
  else if (d.tags.some((t) => !/^[\w-]{2,20}$/.test(t))) errs['up-tags'] = 'Tags must be 2-20 letters, digits or dashes.';
  if (d.visibility === 'scheduled' && !d.date) errs['up-date'] = 'Pick a publish date.';
  Object.entries(errs).forEach(([k, v]) => { $('#' + k + '-error').textContent = v; });
  if (Object.values(errs).some(Boolean)) return;
  const upload = { id: 'u' + (state.uploads.length + 1), title: d.title, ch: 'c1', topic: $('#up-topic').value, views: 0, len: 60, icon: d.clip, desc: $('#up-desc').value || 'No description.', visibility: d.visibility, ready: false };
  state.uploads.push(upload);
  $('#up-submit').disabled = true;
  $('#up-progress').classList.remove('hidden');
  let pct = 0;
  const timer = setInterval(() => {
    pct += 25;
    const bar = $('#up-bar');
    if (bar) bar.style.width = pct + '%';
    if (pct >= 100) {
      clearInterval(timer);
      upload.ready = true;
      const st = $('#up-status');
      if (st) st.innerHTML = `Upload complete! <a href="#/watch/${upload.id}" id="up-watch">Watch “${esc(upload.title)}”</a>`;
    }
  }, 300);
}

function renderGuidelines() {
  view().innerHTML = `<h1>Community guidelines</h1><ul><li>Be respectful in comments.</li><li>No spam, scams or misleading metadata.</li>
    <li>Only upload content you own.</li></ul><p class="muted">Use the browser's back button to return.</p>`;
}

/* ---------- shared UI ---------- */
function openModal(title, html, onMount) {
  $('#modal-root').innerHTML = `<div class="overlay" id="modal-overlay"><div class="dialog" role="dialog" aria-modal="true" aria-label="${esc(title)}">
    <div class="row" style="justify-content:space-between"><h2>${esc(title)}</h2><button type="button" id="modal-close" aria-label="Close dialog">✕</button></div>${html}</div></div>`;
  $('#modal-close').addEventListener('click', closeModal);
  if (onMount) onMount();
}

function closeModal() { $('#modal-root').innerHTML = ''; }

function confirmDialog(q, onYes) {
  openModal('Are you sure?', `<p>${esc(q)}</p><div class="row"><button type="button" id="confirm-no">Cancel</button><button type="button" id="confirm-yes" class="primary">Confirm</button></div>`, () => {
    $('#confirm-no').addEventListener('click', closeModal);
    $('#confirm-yes').addEventListener('click', () => { closeModal(); onYes(); });
  });
}

function onKey(e) {
  if (e.key === 'Escape') { closeModal(); return; }
  if (/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName) || !state.player) return;
  const v = findVideo(state.player.id);
  if (e.key === 'k' || e.key === ' ') { e.preventDefault(); togglePlay(); } else if (e.key === 'l') seek(10);
  else if (e.key === 'j') seek(-10);
  else if (e.key === 'm') toggleMute();
  else if (e.key === 'c') $('#cc').click();
  else if (e.key === 't') $('#theater').click();
  else return;
  updatePlayerUI(v);
}

function finishOnboarding(skip) {
  const picked = $$('.interest').filter((c) => c.checked).map((c) => c.value);
  if (!skip && picked.length < 2) { $('#interest-error').textContent = 'Pick at least two topics, or skip.'; return; }
  state.interests = skip ? [] : picked;
  $('#onboarding').classList.add('hidden');
  render();
}

function init() {
  $$('.mainnav button').forEach((b) => b.addEventListener('click', () => go(b.dataset.route)));
  $('#search-form').addEventListener('submit', (e) => { e.preventDefault(); runSearch(); });
  $('#onboard-done').addEventListener('click', () => finishOnboarding(false));
  $('#onboard-skip').addEventListener('click', () => finishOnboarding(true));
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', render);
  render();
}

init();

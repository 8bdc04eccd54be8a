/* JAMEL Demo Settings - account and settings single-page app.
 * Validation uses a fixed reference date and fixed demo codes so behaviour is deterministic. */
'use strict';

const REF_DATE = '2025-01-01';
const CURRENT_PASSWORD = 'hunter2!';
const APP_CODE = '123456';
const SMS_CODE = '654321';
const BACKUP_CODES = ['4kq9-2m7x', '8vz1-0pd3', 'c5n6-hh2w', 'r7t3-9yb8', 'x2l4-q6ek', 'm1f8-w3sa'];
const TAKEN_USERNAMES = ['admin', 'root', 'support', 'jamel'];
const SECTIONS = [
  ['profile', 'Profile'], ['security', 'Security'], ['notifications', 'Notifications'], ['privacy', 'Privacy'],
  ['appearance', 'Appearance'], ['billing', 'Billing'], ['apps', 'Connected apps'], ['danger', 'Delete account'],
];
const KEYWORDS = { password: 'security', '2fa': 'security', 'two-factor': 'security', session: 'security', email: 'notifications', push: 'notifications',
  quiet: 'notifications', block: 'privacy', visibility: 'privacy', export: 'privacy', theme: 'appearance', dark: 'appearance', language: 'appearance',
  plan: 'billing', invoice: 'billing', card: 'billing', app: 'apps', delete: 'danger', name: 'profile', avatar: 'profile', bio: 'profile' };
const I18N = {
  en: { profile: 'Profile', security: 'Security', notifications: 'Notifications', privacy: 'Privacy', appearance: 'Appearance', billing: 'Billing', apps: 'Connected apps', danger: 'Delete account' },
  de: { profile: 'Profil', security: 'Sicherheit', notifications: 'Benachrichtigungen', privacy: 'Datenschutz', appearance: 'Darstellung', billing: 'Abrechnung', apps: 'Verbundene Apps', danger: 'Konto löschen' },
  es: { profile: 'Perfil', security: 'Seguridad', notifications: 'Notificaciones', privacy: 'Privacidad', appearance: 'Apariencia', billing: 'Facturación', apps: 'Apps conectadas', danger: 'Eliminar cuenta' },
};

const state = {
  profile: { name: 'Alex Morgan', username: 'alexm', email: 'alex@example.com', phone: '', bio: 'Coffee, code, cats.', birthday: '1994-03-12', country: 'US', region: 'CA', website: '', avatar: '🦊' },
  dirty: false, twofa: { enabled: false, method: null, step: 0, attempts: 0, phone: '', saved: false },
  sessions: [{ id: 's1', device: 'Chromium on Linux', where: 'Berlin', current: true }, { id: 's2', device: 'Phone app', where: 'Berlin' }, { id: 's3', device: 'Firefox on Windows', where: 'Lisbon' }],
  notif: { muteAll: false, matrix: { security: { email: true, push: true, sms: false }, social: { email: false, push: true, sms: false }, marketing: { email: false, push: false, sms: false } }, quiet: false, quietFrom: '22:00', quietTo: '07:00', digest: 'weekly' },
  privacy: { visibility: 'friends', indexing: false, blocked: ['spambot42', 'troll_99'], exportState: 'none' },
  appearance: { theme: 'system', accent: 'slate', density: 'comfortable', lang: 'en' },
  billing: { plan: 'free', cycle: 'monthly', pending: null, invoices: [{ id: 'INV-001', date: '2024-11-01', amount: 0 }, { id: 'INV-002', date: '2024-12-01', amount: 0 }] },
  apps: [{ id: 'cal', name: 'Calendar Sync', perms: 'Read your calendar and email address' }, { id: 'gh', name: 'Code Host', perms: 'Read your profile and public repositories' }, { id: 'ph', name: 'Photo Printer', perms: 'Access your uploaded photos' }],
  whatsNewSeen: 0, whatsNewMuted: false, deleted: false,
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const view = () => $('#view');
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const t = (key) => I18N[state.appearance.lang][key] || key;

function toast(msg) {
  const el = $('#toast');
  el.textContent = msg;
  el.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.add('hidden'), 800);
}

/* ---------- routing ---------- */
function go(route) {
  if (location.hash === '#/' + route) render(); else location.hash = '#/' + route;
}

function parseHash() {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0];
  return name || 'profile';
}

function render() {
  const name = parseHash();
  if (state.deleted && name !== 'terms') { renderDeleted(); return; }
  const bare = name === 'terms' || name === 'goodbye';
  document.body.classList.toggle('bare', bare);
  if (bare) { (name === 'terms' ? renderTerms : renderDeleted)(); return; }
  const section = SECTIONS.some(([k]) => k === name) ? name : 'profile';
  view().innerHTML = `<div class="layout"><nav class="side" aria-label="Settings sections">
    ${SECTIONS.map(([k]) => `<button type="button" id="nav-${k}" data-s="${k}" class="${k === section ? 'active' : ''}" aria-current="${k === section ? 'page' : 'false'}">${t(k)}</button>`).join('')}
    <a href="#/terms" id="terms-link" class="muted" style="margin-top:14px">Terms of service</a></nav>
    <section class="panel" id="panel" aria-labelledby="panel-title"></section></div>`;
  $$('.side button').forEach((b) => b.addEventListener('click', () => navigate(b.dataset.s)));
  const renderers = { profile: renderProfile, security: renderSecurity, notifications: renderNotifications, privacy: renderPrivacy, appearance: renderAppearance, billing: renderBilling, apps: renderApps, danger: renderDanger };
  renderers[section]();
  if (section === 'appearance' && !state.whatsNewMuted && state.whatsNewSeen === 1) { state.whatsNewSeen = 2; $('#whats-new').classList.remove('hidden'); }
}

function navigate(section) {
  if (state.dirty) {
    confirmDialog('You have unsaved profile changes. Discard them?', () => { state.dirty = false; go(section); });
    return;
  }
  go(section);
}

function panel(title, html) {
  $('#panel').innerHTML = `<h1 id="panel-title">${esc(title)}</h1>${html}`;
}

function field(id, label, value, opts = {}) {
  return `<div class="field"><label for="${id}">${label}</label><input id="${id}" type="${opts.type || 'text'}" value="${esc(value || '')}" ${opts.attrs || ''}>${opts.hint ? `<span class="muted">${opts.hint}</span>` : ''}<span class="error" id="${id}-error"></span></div>`;
}

/* ---------- profile ---------- */
function renderProfile() {
  const p = state.profile;
  const avatars = ['🦊', '🐼', '🐙', '🦉', '🌵'];
  panel(t('profile'), `<form id="profile-form" novalidate>
    <fieldset><legend>Avatar</legend>${avatars.map((a, i) => `<label><input type="radio" name="avatar" id="avatar-${i}" value="${a}" ${a === p.avatar ? 'checked' : ''}> <span style="font-size:24px">${a}</span></label>`).join(' ')}</fieldset>
    <div class="form-grid">${field('pf-name', 'Display name', p.name)}${field('pf-username', 'Username', p.username, { hint: 'Lowercase letters, digits, underscores' })}
    ${field('pf-email', 'Email', p.email, { type: 'email' })}${field('pf-phone', 'Phone (optional)', p.phone, { hint: 'International format, e.g. +4915112345678' })}
    ${field('pf-birthday', 'Birthday', p.birthday, { type: 'date' })}${field('pf-website', 'Website (optional)', p.website, { hint: 'https://…' })}
    <div class="field"><label for="pf-country">Country</label><select id="pf-country">${[['US', 'United States'], ['DE', 'Germany'], ['BR', 'Brazil'], ['JP', 'Japan']].map(([v, l]) => `<option value="${v}" ${v === p.country ? 'selected' : ''}>${l}</option>`).join('')}</select></div>
    <div class="field ${p.country === 'US' ? '' : 'hidden'}" id="region-field"><label for="pf-region">State</label><select id="pf-region">${['CA', 'NY', 'TX', 'WA'].map((r) => `<option ${r === p.region ? 'selected' : ''}>${r}</option>`).join('')}</select></div></div>
    <div class="field"><label for="pf-bio">Bio</label><textarea id="pf-bio" rows="3">${esc(p.bio)}</textarea><span class="muted" id="bio-count">${p.bio.length}/160</span><span class="error" id="pf-bio-error"></span></div>
    <div class="row"><button type="submit" id="pf-save" class="primary">Save profile</button><button type="button" id="pf-reset">Discard changes</button><span id="pf-status"></span></div></form>`);
  const form = $('#profile-form');
  form.addEventListener('input', () => { state.dirty = true; $('#pf-status').textContent = 'Unsaved changes'; $('#pf-status').className = 'muted'; });
  form.addEventListener('change', () => { state.dirty = true; });
  $('#pf-bio').addEventListener('input', (e) => {
    const n = e.target.value.length;
    $('#bio-count').textContent = `${n}/160`;
    $('#bio-count').className = n > 160 ? 'error' : 'muted';
  });
  $('#pf-country').addEventListener('change', (e) => $('#region-field').classList.toggle('hidden', e.target.value !== 'US'));
  $('#pf-username').addEventListener('blur', checkUsername);
  $('#pf-reset').addEventListener('click', () => { state.dirty = false; renderProfile(); toast('Changes discarded'); });
  form.addEventListener('submit', (e) => { e.preventDefault(); saveProfile(); });
}

function checkUsername() {
  const u = $('#pf-username').value.trim().toLowerCase();
  const err = $('#pf-username-error');
  if (u !== state.profile.username && TAKEN_USERNAMES.includes(u)) err.textContent = `@${u} is already taken.`;
  else err.textContent = '';
}

function ageOn(birthday, ref) {
  const [by, bm, bd] = birthday.split('-').map(Number);
  const [ry, rm, rd] = ref.split('-').map(Number);
  return ry - by - (rm < bm || (rm === bm && rd < bd) ? 1 : 0);
}

function validateProfile(d) {
  const e = {};
  if (d.name.length < 2 || d.name.length > 40) e['pf-name'] = 'Display name must be 2-40 characters.';
  if (!/^[a-z0-9_]{3,16}$/.test(d.username)) e['pf-username'] = 'Use 3-16 lowercase letters, digits or underscores.';
  else if (d.username !== state.profile.username && TAKEN_USERNAMES.includes(d.username)) e['pf-username'] = `@${d.username} is already taken.`;
  if (!/^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(d.email)) e['pf-email'] = 'Enter a valid email address.';
  if (d.phone && !/^\+\d{8,15}$/.test(d.phone.replace(/[\s-]/g, ''))) e['pf-phone'] = 'Phone must start with + and contain 8-15 digits.';
  if (!d.birthday) e['pf-birthday'] = 'Birthday is required.';
  else if (d.birthday >= REF_DATE) e['pf-birthday'] = 'Birthday must be in the past.';
  else if (ageOn(d.birthday, REF_DATE) < 13) e['pf-birthday'] = 'You must be at least 13 years old.';
  if (d.website && !/^https:\/\/[\w.-]+\.[a-z]{2,}(\/\S*)?$/i.test(d.website)) e['pf-website'] = d.website.startsWith('http://') ? 'Please use a secure https:// link.' : 'Enter a full URL starting with https://';
  if (d.bio.length > 160) e['pf-bio'] = 'Bio is limited to 160 characters.';
  return e;
}

function saveProfile() {
  const v = (id) => $('#' + id).value.trim();
  const d = { name: v('pf-name'), username: v('pf-username').toLowerCase(), email: v('pf-email'), phone: v('pf-phone'), birthday: v('pf-birthday'), website: v('pf-website'), bio: $('#pf-bio').value, country: $('#pf-country').value, region: $('#pf-region').value };
  d.avatar = $$('input[name=avatar]').find((r) => r.checked).value;
  const errs = validateProfile(d);
  ['pf-name', 'pf-username', 'pf-email', 'pf-phone', 'pf-birthday', 'pf-website', 'pf-bio'].forEach((id) => { $('#' + id + '-error').textContent = errs[id] || ''; });
  const status = $('#pf-status');
  if (Object.keys(errs).length) { status.textContent = `Please fix ${Object.keys(errs).length} field(s).`; status.className = 'error'; return; }
  const emailChanged = d.email !== state.profile.email;
  Object.assign(state.profile, d);
  state.dirty = false;
  $('#user-chip').textContent = `Signed in as ${d.email}`;
  status.textContent = emailChanged ? 'Saved. We sent a confirmation link to your new email.' : 'Profile saved.';
  status.className = 'ok';
}

/* ---------- security ---------- */
function passwordScore(pw) {
  const rules = { length: pw.length >= 10, upper: /[A-Z]/.test(pw), digit: /\d/.test(pw), symbol: /[^A-Za-z0-9]/.test(pw) };
  let score = Object.values(rules).filter(Boolean).length;
  if (pw.length < 6) score = Math.min(score, 1);
  if (/^(password|12345|qwerty)/i.test(pw)) score = 1;
  return { rules, score: pw ? Math.max(1, score) : 0 };
}

function renderSecurity() {
  const tf = state.twofa;
  panel(t('security'), `<h2>Change password</h2><form id="pw-form" novalidate>
    <div class="field"><label for="pw-current">Current password</label><div class="row"><input id="pw-current" type="password"><button type="button" id="pw-current-toggle" class="reveal" data-for="pw-current" aria-label="Show current password">👁</button></div><span class="error" id="pw-current-error"></span></div>
    <div class="field"><label for="pw-new">New password</label><div class="row"><input id="pw-new" type="password"><button type="button" id="pw-new-toggle" class="reveal" data-for="pw-new" aria-label="Show new password">👁</button></div>
      <div class="strength" id="strength" aria-hidden="true"><span></span><span></span><span></span><span></span></div><span id="strength-label" class="muted">Enter a password</span>
      <ul class="rules" id="pw-rules"><li data-r="length">At least 10 characters</li><li data-r="upper">An uppercase letter</li><li data-r="digit">A number</li><li data-r="symbol">A symbol</li></ul><span class="error" id="pw-new-error"></span></div>
    ${field('pw-confirm', 'Confirm new password', '', { type: 'password' })}
    <label><input type="checkbox" id="pw-signout"> Sign out of all other sessions</label>
    <div class="row"><button type="submit" id="pw-save" class="primary">Update password</button><span id="pw-status"></span></div></form>
    <h2>Two-factor authentication</h2><div id="twofa">${tf.enabled ? `<p class="ok" id="twofa-on">2FA is on (${tf.method === 'app' ? 'authenticator app' : 'SMS'}).</p><button type="button" id="twofa-disable">Turn off 2FA</button> <button type="button" id="twofa-codes">Show backup codes</button>` : '<p id="twofa-off">2FA is off. Add an extra layer of security.</p><button type="button" id="twofa-start" class="primary">Set up 2FA</button>'}</div>
    <h2>Active sessions</h2><table id="sessions"><tr><th>Device</th><th>Location</th><th></th></tr>${state.sessions.map((s) => `<tr><td>${esc(s.device)}${s.current ? ' <span class="badge">this device</span>' : ''}</td><td>${esc(s.where)}</td>
      <td>${s.current ? '' : `<button type="button" id="revoke-${s.id}" class="revoke" data-id="${s.id}">Sign out</button>`}</td></tr>`).join('')}</table>
    ${state.sessions.length > 1 ? '<button type="button" id="revoke-all">Sign out all other sessions</button>' : ''}`);
  $$('.reveal').forEach((b) => b.addEventListener('click', () => {
    const input = $('#' + b.dataset.for);
    input.type = input.type === 'password' ? 'text' : 'password';
    b.setAttribute('aria-label', (input.type === 'password' ? 'Show ' : 'Hide ') + (b.dataset.for === 'pw-new' ? 'new' : 'current') + ' password');
  }));
  $('#pw-new').addEventListener('input', updateStrength);
  $('#pw-form').addEventListener('submit', (e) => { e.preventDefault(); changePassword(); });
  const start = $('#twofa-start');
  if (start) start.addEventListener('click', () => { Object.assign(tf, { step: 1, attempts: 0, saved: false }); openTwofaWizard(); });
  const disable = $('#twofa-disable');
  if (disable) {
    disable.addEventListener('click', disableTwofa);
    $('#twofa-codes').addEventListener('click', () => openModal('Backup codes', `<div class="codes">${BACKUP_CODES.map((c) => `<span>${c}</span>`).join('')}</div>`));
  }
  $$('.revoke').forEach((b) => b.addEventListener('click', () => { state.sessions = state.sessions.filter((s) => s.id !== b.dataset.id); toast('Session signed out'); renderSecurity(); }));
  const all = $('#revoke-all');
  if (all) all.addEventListener('click', () => confirmDialog('Sign out of every other device?', () => { state.sessions = state.sessions.filter((s) => s.current); renderSecurity(); }));
}

function updateStrength() {
  const { rules, score } = passwordScore($('#pw-new').value);
  $('#strength').className = 'strength s' + score;
  $('#strength-label').textContent = ['Enter a password', 'Weak', 'Fair', 'Good', 'Strong'][score];
  $$('#pw-rules li').forEach((li) => li.classList.toggle('met', rules[li.dataset.r]));
}

function changePassword() {
  const cur = $('#pw-current').value;
  const nw = $('#pw-new').value;
  const conf = $('#pw-confirm').value;
  const e = { 'pw-current': '', 'pw-new': '', 'pw-confirm': '' };
  if (!cur) e['pw-current'] = 'Enter your current password.';
  else if (cur !== CURRENT_PASSWORD) e['pw-current'] = 'Current password is incorrect. (Demo: hunter2!)';
  const { score } = passwordScore(nw);
  if (score < 3) e['pw-new'] = 'Choose a stronger password (at least “Good”).';
  else if (nw === cur) e['pw-new'] = 'New password must differ from the current one.';
  if (conf !== nw) e['pw-confirm'] = 'Passwords do not match.';
  Object.entries(e).forEach(([k, v]) => { $('#' + k + '-error').textContent = v; });
  if (Object.values(e).some(Boolean)) return;
  if ($('#pw-signout').checked) state.sessions = state.sessions.filter((s) => s.current);
  renderSecurity();
  $('#pw-status').textContent = 'Password updated.';
  $('#pw-status').className = 'ok';
}

function openTwofaWizard() {
  const tf = state.twofa;
  const dots = `<div class="steps">${['Method', 'Connect', 'Verify', 'Backup'].map((s, i) => `<span class="${i + 1 === tf.step ? 'on' : ''}">${i + 1}. ${s}</span>`).join('')}</div>`;
  let body = '';
  if (tf.step === 1) {
    body = `<fieldset><legend>How do you want to receive codes?</legend>
      <label style="display:block"><input type="radio" name="tfm" id="tfm-app" value="app" ${tf.method === 'app' ? 'checked' : ''}> Authenticator app (recommended)</label>
      <label style="display:block"><input type="radio" name="tfm" id="tfm-sms" value="sms" ${tf.method === 'sms' ? 'checked' : ''}> Text message (SMS)</label></fieldset>
      <p class="error" id="tfm-error"></p><button type="button" id="tf-next1" class="primary">Next</button>`;
  } else if (tf.step === 2 && tf.method === 'app') {
    body = `<p>Scan the QR code with your authenticator app, or enter this key manually:</p><p><code id="tf-secret">JMLD EMO2 FA7K EY42</code> <button type="button" id="tf-copy">Copy key</button></p>
      <div aria-hidden="true" style="font-size:60px;line-height:1">▦▩▦</div><div class="row"><button type="button" id="tf-back2">Back</button><button type="button" id="tf-next2" class="primary">I've added it</button></div>`;
  } else if (tf.step === 2) {
    body = `${field('tf-phone', 'Mobile number', tf.phone, { hint: 'e.g. +4915112345678' })}<div class="row"><button type="button" id="tf-back2">Back</button><button type="button" id="tf-send-sms" class="primary">Send code</button></div>`;
  } else if (tf.step === 3) {
    body = `<p>Enter the 6-digit code from your ${tf.method === 'app' ? 'app' : 'phone'}. <span class="muted">(Demo code: ${tf.method === 'app' ? APP_CODE : SMS_CODE})</span></p>
      ${field('tf-code', 'Verification code', '', { attrs: 'inputmode="numeric" maxlength="6" autocomplete="one-time-code"' })}
      <p class="muted" id="tf-attempts">${tf.attempts ? `${3 - tf.attempts} attempt(s) left` : ''}</p>
      <div class="row"><button type="button" id="tf-back3">Back</button><button type="button" id="tf-verify" class="primary">Verify</button></div>`;
  } else if (tf.step === 4) {
    body = `<p>Save these backup codes somewhere safe. Each can be used once.</p><div class="codes" id="backup-codes">${BACKUP_CODES.map((c) => `<span>${c}</span>`).join('')}</div>
      <label><input type="checkbox" id="tf-saved"> I have saved my backup codes</label><p class="error" id="tf-saved-error"></p>
      <button type="button" id="tf-finish" class="primary">Finish setup</button>`;
  } else if (tf.step === 5) {
    body = '<p class="error" id="tf-locked">Too many wrong codes. Setup was cancelled for your safety. Please start again.</p><button type="button" id="tf-restart">Start over</button>';
  }
  openModal('Set up two-factor authentication', dots + body, bindTwofaStep);
}

function bindTwofaStep() {
  const tf = state.twofa;
  const on = (id, fn) => { const el = $('#' + id); if (el) el.addEventListener('click', fn); };
  on('tf-next1', () => {
    const r = $$('input[name=tfm]').find((x) => x.checked);
    if (!r) { $('#tfm-error').textContent = 'Choose a method.'; return; }
    tf.method = r.value; tf.step = 2; openTwofaWizard();
  });
  on('tf-copy', () => { toast('Key copied'); $('#tf-copy').textContent = 'Copied ✓'; });
  on('tf-back2', () => { tf.step = 1; openTwofaWizard(); });
  on('tf-next2', () => { tf.step = 3; openTwofaWizard(); });
  on('tf-send-sms', () => {
    const phone = $('#tf-phone').value.replace(/[\s-]/g, '');
    if (!/^\+\d{8,15}$/.test(phone)) { $('#tf-phone-error').textContent = 'Enter a number like +4915112345678.'; return; }
    tf.phone = phone;
    $('#tf-send-sms').disabled = true;
    $('#tf-send-sms').textContent = 'Sending…';
    setTimeout(() => { tf.step = 3; openTwofaWizard(); toast('Code sent to ' + phone.slice(0, 4) + '•••' + phone.slice(-2)); }, 500);
  });
  on('tf-back3', () => { tf.step = 2; openTwofaWizard(); });
  on('tf-verify', verifyTwofaCode);
  const code = $('#tf-code');
  if (code) code.addEventListener('keydown', (e) => { if (e.key === 'Enter') verifyTwofaCode(); });
  on('tf-finish', () => {
    if (!$('#tf-saved').checked) { $('#tf-saved-error').textContent = 'Please confirm you saved the codes.'; return; }
    tf.enabled = true; tf.step = 0; closeModal(); toast('Two-factor authentication is on'); render();
  });
  on('tf-restart', () => { Object.assign(tf, { step: 1, attempts: 0 }); openTwofaWizard(); });
}

function verifyTwofaCode() {
  const tf = state.twofa;
  const code = $('#tf-code').value.trim();
  if (!/^\d{6}$/.test(code)) { $('#tf-code-error').textContent = 'The code has exactly 6 digits.'; return; }
  const expected = tf.method === 'app' ? APP_CODE : SMS_CODE;
  if (code !== expected) {
    tf.attempts += 1;
    if (tf.attempts >= 3) { tf.step = 5; openTwofaWizard(); return; }
    $('#tf-code-error').textContent = 'That code is not correct.';
    $('#tf-attempts').textContent = `${3 - tf.attempts} attempt(s) left`;
    return;
  }
  tf.step = 4;
  openTwofaWizard();
}

function disableTwofa() {
  openModal('Turn off 2FA', `<p>Enter your password to turn off two-factor authentication.</p>${field('tf-off-pw', 'Password', '', { type: 'password' })}
    <button type="button" id="tf-off-confirm" class="danger-btn">Turn off</button>`, () => {
    $('#tf-off-confirm').addEventListener('click', () => {
      if ($('#tf-off-pw').value !== CURRENT_PASSWORD) { $('#tf-off-pw-error').textContent = 'Incorrect password.'; return; }
      state.twofa.enabled = false; closeModal(); toast('2FA turned off'); render();
    });
  });
}

/* ---------- notifications ---------- */
function renderNotifications() {
  const n = state.notif;
  const cats = Object.keys(n.matrix);
  panel(t('notifications'), `<label><input type="checkbox" id="mute-all" ${n.muteAll ? 'checked' : ''}> Pause all notifications</label>
    <table id="notif-table"><tr><th>Category</th><th>Email</th><th>Push</th><th>SMS</th></tr>${cats.map((c) => `<tr><td>${c}</td>${['email', 'push', 'sms'].map((ch) => `<td><input type="checkbox" class="nt" id="nt-${c}-${ch}" data-c="${c}" data-ch="${ch}" aria-label="${c} by ${ch}" ${n.matrix[c][ch] ? 'checked' : ''} ${n.muteAll || (c === 'security' && ch === 'email') ? 'disabled' : ''}></td>`).join('')}</tr>`).join('')}</table>
    <p class="muted">Security emails cannot be turned off.</p>
    <div class="field"><label for="digest">Email digest</label><select id="digest">${['off', 'daily', 'weekly', 'monthly'].map((d) => `<option ${d === n.digest ? 'selected' : ''}>${d}</option>`).join('')}</select><span class="muted" id="digest-note"></span></div>
    <label><input type="checkbox" id="quiet" ${n.quiet ? 'checked' : ''}> Quiet hours</label>
    <div class="row ${n.quiet ? '' : 'hidden'}" id="quiet-fields"><label for="quiet-from">From</label><input type="time" id="quiet-from" value="${n.quietFrom}"><label for="quiet-to">To</label><input type="time" id="quiet-to" value="${n.quietTo}">
      <button type="button" id="quiet-save">Save quiet hours</button><span class="error" id="quiet-error"></span></div>
    <button type="button" id="notif-test">Send test notification</button>`);
  $('#mute-all').addEventListener('change', (e) => { n.muteAll = e.target.checked; toast(n.muteAll ? 'All notifications paused' : 'Notifications resumed'); renderNotifications(); });
  $$('.nt').forEach((c) => c.addEventListener('change', () => {
    n.matrix[c.dataset.c][c.dataset.ch] = c.checked;
    if (c.dataset.ch === 'sms' && c.checked && !state.profile.phone) { c.checked = false; n.matrix[c.dataset.c].sms = false; openModal('Phone number needed', '<p>Add a phone number to your profile to get SMS notifications.</p><button type="button" id="goto-profile" class="primary">Go to profile</button>', () => $('#goto-profile').addEventListener('click', () => { closeModal(); go('profile'); })); }
  }));
  $('#digest').addEventListener('change', (e) => { n.digest = e.target.value; $('#digest-note').textContent = e.target.value === 'off' ? 'You will only get real-time emails.' : `A summary every ${e.target.value.replace('ly', '').replace('dai', 'day')}.`; });
  $('#quiet').addEventListener('change', (e) => { n.quiet = e.target.checked; $('#quiet-fields').classList.toggle('hidden', !n.quiet); });
  $('#quiet-save').addEventListener('click', () => {
    const from = $('#quiet-from').value;
    const to = $('#quiet-to').value;
    if (!from || !to) { $('#quiet-error').textContent = 'Both times are required.'; return; }
    if (from === to) { $('#quiet-error').textContent = 'Start and end cannot be the same.'; return; }
    n.quietFrom = from; n.quietTo = to;
    $('#quiet-error').textContent = '';
    toast(from > to ? `Quiet overnight ${from}–${to}` : `Quiet ${from}–${to}`);
  });
  $('#notif-test').addEventListener('click', () => toast(n.muteAll ? 'Notifications are paused — nothing sent' : 'Test notification sent'));
}

/* ---------- privacy ---------- */
function renderPrivacy() {
  const pv = state.privacy;
  panel(t('privacy'), `<fieldset><legend>Who can see your profile?</legend>${[['public', 'Everyone'], ['friends', 'Friends only'], ['private', 'Only me']].map(([v, l]) => `<label style="display:block"><input type="radio" name="vis" id="vis-${v}" value="${v}" ${pv.visibility === v ? 'checked' : ''}> ${l}</label>`).join('')}</fieldset>
    <label><input type="checkbox" id="indexing" ${pv.indexing ? 'checked' : ''} ${pv.visibility === 'private' ? 'disabled' : ''}> Let search engines link to my profile</label>
    <h2>Blocked users</h2><ul id="blocked">${pv.blocked.map((u) => `<li>@${esc(u)} <button type="button" id="unblock-${esc(u)}" class="unblock" data-u="${esc(u)}">Unblock</button></li>`).join('') || '<li class="muted" id="none-blocked">Nobody is blocked.</li>'}</ul>
    <form id="block-form" class="row" novalidate><label for="block-user">Block a user</label><input id="block-user" placeholder="username"><button type="submit" id="block-add">Block</button><span class="error" id="block-user-error"></span></form>
    <h2>Your data</h2><p id="export-state">${pv.exportState === 'ready' ? 'Your archive is ready: <a href="#/privacy" id="export-download">download archive (demo)</a>' : pv.exportState === 'preparing' ? 'Preparing your archive…' : 'Request a copy of everything we store about you.'}</p>
    <button type="button" id="export-request" ${pv.exportState !== 'none' ? 'disabled' : ''}>Request data export</button>`);
  $$('input[name=vis]').forEach((r) => r.addEventListener('change', () => {
    pv.visibility = r.value;
    if (r.value === 'private') pv.indexing = false;
    toast('Profile visibility: ' + r.value);
    renderPrivacy();
  }));
  $('#indexing').addEventListener('change', (e) => { pv.indexing = e.target.checked; });
  $$('.unblock').forEach((b) => b.addEventListener('click', () => { pv.blocked = pv.blocked.filter((u) => u !== b.dataset.u); renderPrivacy(); }));
  $('#block-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const u = $('#block-user').value.trim().replace(/^@/, '').toLowerCase();
    const err = $('#block-user-error');
    if (!/^[a-z0-9_]{3,16}$/.test(u)) { err.textContent = 'Enter a valid username.'; return; }
    if (u === state.profile.username) { err.textContent = 'You cannot block yourself.'; return; }
    if (pv.blocked.includes(u)) { err.textContent = `@${u} is already blocked.`; return; }
    pv.blocked.push(u);
    renderPrivacy();
  });
  $('#export-request').addEventListener('click', () => {
    pv.exportState = 'preparing';
    renderPrivacy();
    setTimeout(() => { pv.exportState = 'ready'; if (parseHash() === 'privacy') renderPrivacy(); toast('Your data export is ready'); }, 800);
  });
}

/* ---------- appearance ---------- */
function renderAppearance() {
  const a = state.appearance;
  panel(t('appearance'), `<fieldset><legend>Theme</legend>${['light', 'dark', 'system'].map((v) => `<label><input type="radio" name="theme" id="theme-${v}" value="${v}" ${a.theme === v ? 'checked' : ''}> ${v}</label>`).join(' ')}</fieldset>
    <div class="row"><label for="accent">Accent colour</label><select id="accent">${['slate', 'ocean', 'forest', 'sunset'].map((c) => `<option ${c === a.accent ? 'selected' : ''}>${c}</option>`).join('')}</select>
    <label for="density">Density</label><select id="density"><option value="comfortable" ${a.density === 'comfortable' ? 'selected' : ''}>Comfortable</option><option value="compact" ${a.density === 'compact' ? 'selected' : ''}>Compact</option></select>
    <label for="language">Language</label><select id="language">${[['en', 'English'], ['de', 'Deutsch'], ['es', 'Español']].map(([v, l]) => `<option value="${v}" ${v === a.lang ? 'selected' : ''}>${l}</option>`).join('')}</select></div>
    <h2>Preview</h2><div class="preview ${a.theme === 'dark' ? 'dark' : ''} ${a.density}" id="preview" style="border-left:6px solid ${accentColor(a.accent)}">
      <strong>${esc(state.profile.avatar)} ${esc(state.profile.name)}</strong><p>This is how cards will look.</p></div>
    <div class="row"><button type="button" id="appearance-reset">Reset to defaults</button></div>`);
  $$('input[name=theme]').forEach((r) => r.addEventListener('change', () => { a.theme = r.value; renderAppearance(); }));
  $('#accent').addEventListener('change', (e) => { a.accent = e.target.value; renderAppearance(); });
  $('#density').addEventListener('change', (e) => { a.density = e.target.value; renderAppearance(); });
  $('#language').addEventListener('change', (e) => { a.lang = e.target.value; render(); toast(e.target.value === 'en' ? 'Language: English' : 'Language changed'); });
  $('#appearance-reset').addEventListener('click', () => { state.appearance = { theme: 'system', accent: 'slate', density: 'comfortable', lang: 'en' }; render(); });
}

function accentColor(name) {
  return { slate: '#495057', ocean: '#1971c2', forest: '#2f9e44', sunset: '#e8590c' }[name];
}

/* ---------- billing ---------- */
const PLANS = { free: { name: 'Free', monthly: 0 }, pro: { name: 'Pro', monthly: 9 }, team: { name: 'Team', monthly: 29 } };

function renderBilling() {
  const b = state.billing;
  panel(t('billing'), `<div class="row"><span>Billing cycle:</span>
      <label><input type="radio" name="cycle" id="cycle-monthly" value="monthly" ${b.cycle === 'monthly' ? 'checked' : ''}> Monthly</label>
      <label><input type="radio" name="cycle" id="cycle-yearly" value="yearly" ${b.cycle === 'yearly' ? 'checked' : ''}> Yearly (2 months free)</label></div>
    <div class="grid" style="grid-template-columns:repeat(3,1fr)">${Object.entries(PLANS).map(([k, p]) => `<div class="card plan ${k === b.plan ? 'current' : ''}"><h3>${p.name}</h3>
      <p class="price">${price(p)}</p>${k === b.plan ? '<p class="ok">Current plan</p>' : `<button type="button" id="plan-${k}" class="choose-plan ${PLANS[k].monthly > PLANS[b.plan].monthly ? 'primary' : ''}" data-k="${k}">${PLANS[k].monthly > PLANS[b.plan].monthly ? 'Upgrade' : 'Downgrade'}</button>`}</div>`).join('')}</div>
    <h2>Invoices</h2><table id="invoices"><tr><th>Invoice</th><th>Date</th><th>Amount</th><th></th></tr>${b.invoices.map((i) => `<tr><td>${i.id}</td><td>${i.date}</td><td>$${i.amount}</td><td><button type="button" id="inv-${i.id}" class="inv" data-id="${i.id}">View</button></td></tr>`).join('')}</table>`);
  $$('input[name=cycle]').forEach((r) => r.addEventListener('change', () => { b.cycle = r.value; renderBilling(); }));
  $$('.choose-plan').forEach((btn) => btn.addEventListener('click', () => choosePlan(btn.dataset.k)));
  $$('.inv').forEach((btn) => btn.addEventListener('click', () => {
    const inv = b.invoices.find((i) => i.id === btn.dataset.id);
    openModal('Invoice ' + inv.id, `<p>Date: ${inv.date}</p><p>Amount: $${inv.amount}</p><p>Billed to: ${esc(state.profile.name)}</p>`);
  }));
}

function price(p) {
  if (!p.monthly) return '$0';
  return state.billing.cycle === 'yearly' ? `$${p.monthly * 10}/year` : `$${p.monthly}/month`;
}

function choosePlan(k) {
  const b = state.billing;
  if (PLANS[k].monthly < PLANS[b.plan].monthly) {
    confirmDialog(`Downgrade to ${PLANS[k].name}? You will lose ${PLANS[b.plan].name} features at the end of the period.`, () => { b.plan = k; renderBilling(); toast('Plan changed'); });
    return;
  }
  openModal(`Upgrade to ${PLANS[k].name}`, `<p>You will be charged <strong>${price(PLANS[k])}</strong>.</p>
    ${field('bill-card', 'Card number', '', { attrs: 'inputmode="numeric"', hint: 'Demo: 4242 4242 4242 4242' })}${field('bill-exp', 'Expiry (MM/YY)', '')}
    ${field('bill-promo', 'Promo code (optional)', '')}<button type="button" id="bill-pay" class="primary">Pay and upgrade</button>`, () => {
    $('#bill-pay').addEventListener('click', () => {
      const card = $('#bill-card').value.replace(/\s/g, '');
      const exp = $('#bill-exp').value.trim();
      const promo = $('#bill-promo').value.trim().toUpperCase();
      let ok = true;
      $('#bill-card-error').textContent = /^\d{16}$/.test(card) ? '' : 'Card number must be 16 digits.';
      if (!/^\d{16}$/.test(card)) ok = false;
      const m = /^(0[1-9]|1[0-2])\/(\d{2})$/.exec(exp);
      $('#bill-exp-error').textContent = !m ? 'Use MM/YY.' : (Number(m[2]) < 25 ? 'Card expired.' : '');
      if (!m || Number(m[2]) < 25) ok = false;
      $('#bill-promo-error').textContent = promo && promo !== 'JAMEL20' ? 'Unknown promo code.' : '';
      if (promo && promo !== 'JAMEL20') ok = false;
      if (!ok) return;
      if (card === '4000000000000002') { $('#bill-card-error').textContent = 'Your card was declined.'; return; }
      const amount = (b.cycle === 'yearly' ? PLANS[k].monthly * 10 : PLANS[k].monthly) * (promo ? 0.8 : 1);
      b.plan = k;
      b.invoices.push({ id: 'INV-' + String(b.invoices.length + 1).padStart(3, '0'), date: REF_DATE, amount: Math.round(amount * 100) / 100 });
      closeModal();
      toast(`Welcome to ${PLANS[k].name}!`);
      renderBilling();
    });
  });
}

/* ---------- connected apps ---------- */
function renderApps() {
  panel(t('apps'), state.apps.length ? `<ul id="app-list">${state.apps.map((a) => `<li class="row"><strong class="app-name" id="app-name-${a.id}" data-id="${a.id}" tabindex="0" role="button" aria-label="${esc(a.name)} permissions">${esc(a.name)}</strong>
    <button type="button" id="revoke-app-${a.id}" class="revoke-app" data-id="${a.id}">Revoke access</button></li>`).join('')}</ul><p class="muted">Hover an app name to see its permissions.</p>` : '<p id="no-apps">No connected apps.</p>');
  $$('.app-name').forEach((el) => {
    const a = state.apps.find((x) => x.id === el.dataset.id);
    const show = () => { const tip = $('#tooltip'); const r = el.getBoundingClientRect(); tip.textContent = a.perms; tip.style.left = r.left + 'px'; tip.style.top = r.bottom + 6 + 'px'; tip.classList.remove('hidden'); };
    el.addEventListener('mouseenter', show);
    el.addEventListener('focus', show);
    el.addEventListener('click', show);
    el.addEventListener('mouseleave', () => $('#tooltip').classList.add('hidden'));
    el.addEventListener('blur', () => $('#tooltip').classList.add('hidden'));
  });
  $$('.revoke-app').forEach((b) => b.addEventListener('click', () => {
    const a = state.apps.find((x) => x.id === b.dataset.id);
    confirmDialog(`Revoke access for ${a.name}?`, () => { state.apps = state.apps.filter((x) => x !== a); $('#tooltip').classList.add('hidden'); renderApps(); });
  }));
}

/* ---------- delete account ---------- */
function renderDanger() {
  panel(t('danger'), `<div class="card danger"><p>Deleting your account removes your profile, settings and history. This cannot be undone.</p>
    <div class="field"><label for="del-reason">Why are you leaving?</label><select id="del-reason"><option value="">Choose a reason…</option><option value="privacy">Privacy concerns</option><option value="other-account">I have another account</option><option value="too-many-emails">Too many emails</option><option value="other">Other</option></select><span class="error" id="del-reason-error"></span></div>
    <div class="field hidden" id="del-other-field"><label for="del-other">Tell us more</label><textarea id="del-other" rows="2"></textarea><span class="error" id="del-other-error"></span></div>
    <p class="muted hidden" id="del-suggest">Tip: you can <button type="button" class="link" id="del-go-notif">reduce emails</button> instead.</p>
    ${field('del-confirm', 'Type DELETE to confirm', '')}${field('del-pw', 'Password', '', { type: 'password' })}
    <button type="button" id="del-start" class="danger-btn">Delete my account</button></div>`);
  $('#del-reason').addEventListener('change', (e) => {
    $('#del-other-field').classList.toggle('hidden', e.target.value !== 'other');
    $('#del-suggest').classList.toggle('hidden', e.target.value !== 'too-many-emails');
  });
  $('#del-go-notif').addEventListener('click', () => go('notifications'));
  $('#del-start').addEventListener('click', startDelete);
}

function startDelete() {
  const reason = $('#del-reason').value;
  const e = { 'del-reason': '', 'del-other': '', 'del-confirm': '', 'del-pw': '' };
  if (!reason) e['del-reason'] = 'Please choose a reason.';
  if (reason === 'other' && $('#del-other').value.trim().length < 5) e['del-other'] = 'Please tell us a bit more.';
  if ($('#del-confirm').value !== 'DELETE') e['del-confirm'] = 'Type DELETE in capital letters.';
  if ($('#del-pw').value !== CURRENT_PASSWORD) e['del-pw'] = 'Incorrect password.';
  Object.entries(e).forEach(([k, v]) => { $('#' + k + '-error').textContent = v; });
  if (Object.values(e).some(Boolean)) return;
  const needs2fa = state.twofa.enabled;
  openModal('Last chance', `<p>Your account <strong>@${esc(state.profile.username)}</strong> will be permanently deleted.</p>
    ${needs2fa ? field('del-2fa', '2FA code', '', { attrs: 'inputmode="numeric" maxlength="6"' }) : ''}
    <div class="row"><button type="button" id="del-cancel">Keep my account</button><button type="button" id="del-final" class="danger-btn">Delete forever</button></div>`, () => {
    $('#del-cancel').addEventListener('click', () => { closeModal(); toast('Glad you are staying!'); });
    $('#del-final').addEventListener('click', () => {
      if (needs2fa && $('#del-2fa').value.trim() !== (state.twofa.method === 'app' ? APP_CODE : SMS_CODE)) { $('#del-2fa-error').textContent = 'Invalid 2FA code.'; return; }
      $('#del-final').disabled = true;
      $('#del-final').textContent = 'Deleting…';
      setTimeout(() => { state.deleted = true; closeModal(); go('goodbye'); }, 600);
    });
  });
}

function renderDeleted() {
  document.body.classList.add('bare');
  view().innerHTML = `<h1>Your account has been deleted</h1><p id="goodbye">We're sorry to see you go, ${esc(state.profile.name)}. Reload the page to start the demo again.</p>`;
}

function renderTerms() {
  view().innerHTML = `<h1>Terms of service</h1><ol><li>This is a demo account; no real data is stored.</li><li>Settings reset when you reload.</li>
    <li>Be kind to the test agents.</li></ol><p class="muted">Use the browser's back button to return.</p>`;
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
  openModal('Please confirm', `<p>${esc(q)}</p><div class="row"><button type="button" id="confirm-no">Cancel</button><button type="button" id="confirm-yes" class="primary">Confirm</button></div>`, () => {
    $('#confirm-no').addEventListener('click', closeModal);
    $('#confirm-yes').addEventListener('click', () => { closeModal(); onYes(); });
  });
}

function searchSettings() {
  const q = $('#settings-q').value.trim().toLowerCase();
  if (!q) return;
  const key = Object.keys(KEYWORDS).find((k) => q.includes(k) || k.includes(q));
  if (!key) { toast(`No setting matches “${q}”`); return; }
  navigate(KEYWORDS[key]);
}

function closeWhatsNew(startTwofa) {
  state.whatsNewMuted = $('#wn-dont-show').checked;
  state.whatsNewSeen = Math.max(state.whatsNewSeen, 1);
  $('#whats-new').classList.add('hidden');
  if (startTwofa) {
    go('security');
    setTimeout(() => { if (!state.twofa.enabled) { Object.assign(state.twofa, { step: 1, attempts: 0 }); openTwofaWizard(); } }, 0);
  }
}

function init() {
  $('#wn-close').addEventListener('click', () => closeWhatsNew(false));
  $('#wn-tour').addEventListener('click', () => closeWhatsNew(true));
  $('#settings-search').addEventListener('submit', (e) => { e.preventDefault(); searchSettings(); });
  $('#help-shortcuts').addEventListener('click', showShortcuts);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { closeModal(); return; }
    if (/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
    if (e.key === '?') showShortcuts();
    const idx = Number(e.key);
    if (idx >= 1 && idx <= SECTIONS.length) navigate(SECTIONS[idx - 1][0]);
  });
  window.addEventListener('hashchange', render);
  render();
}

function showShortcuts() {
  openModal('Keyboard shortcuts', `<ul><li><kbd>1</kbd>–<kbd>8</kbd> jump to a section</li><li><kbd>?</kbd> show this help</li><li><kbd>Esc</kbd> close dialogs</li></ul>`);
}

init();

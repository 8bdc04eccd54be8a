// JAMEL Bank: online banking written the way Vue 3 apps are (components, reactive state, v-on
// handlers bound by Vue). No build step: templates are strings compiled by Vue's runtime compiler.
// Deterministic: no Math.random, dates relative to a fixed "today", no timer outlives a step.
'use strict';
const { createApp } = Vue;

const TODAY = '2025-01-01';
const EMAIL = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;
const IBAN = /^[A-Z]{2}\d{2}[A-Z0-9]{8,20}$/;
const dayOfWeek = (iso) => new Date(iso + 'T00:00:00Z').getUTCDay();
const RATES = { USD: 1, EUR: 0.9 };

const TX = [
  { id: 1, acct: 1, date: '2024-12-30', text: 'Coffee Corner', cat: 'food', amount: -4.5 },
  { id: 2, acct: 1, date: '2024-12-29', text: 'Salary ACME Ltd', cat: 'income', amount: 3200 },
  { id: 3, acct: 1, date: '2024-12-28', text: 'City Rent', cat: 'housing', amount: -1200 },
  { id: 4, acct: 1, date: '2024-12-20', text: 'Grocer Fresh', cat: 'food', amount: -86.2 },
  { id: 5, acct: 1, date: '2024-12-15', text: 'Metro pass', cat: 'transport', amount: -49 },
  { id: 6, acct: 2, date: '2024-12-01', text: 'Interest', cat: 'income', amount: 12.3 },
  { id: 7, acct: 1, date: '2024-11-30', text: 'Bookstore', cat: 'shopping', amount: -23.99 },
  { id: 8, acct: 3, date: '2024-12-24', text: 'Gift shop', cat: 'shopping', amount: -150 },
];

const TransferWizard = {
  props: ['accounts', 'payees', 'fmt'],
  emits: ['done'],
  data: () => ({ step: 1, from: 1, to: '', amount: '', date: TODAY, memo: '', recurring: false, freq: 'monthly',
    errors: {}, note: '', code: '', tries: 0, codeErr: '', ref: '' }),
  computed: {
    source() { return this.accounts.find((a) => a.id === Number(this.from)); },
    payee() { return this.payees.find((p) => p.name === this.to); },
  },
  methods: {
    next() {
      const e = {};
      const amt = Number(this.amount);
      if (!this.to) e.to = 'Choose who to pay.';
      if (this.amount === '' || !Number.isFinite(amt) || amt <= 0) e.amount = 'Enter an amount above zero.';
      else if (Math.round(amt * 100) !== amt * 100) e.amount = 'At most two decimals.';
      else if (amt > this.source.balance) e.amount = 'Not enough money in ' + this.source.name + '.';
      else if (amt > 5000) e.amount = 'Daily limit is 5,000.';
      if (!this.date) e.date = 'Pick a date.';
      else if (this.date < TODAY) e.date = 'The date is in the past.';
      if (this.memo.length > 30) e.memo = 'Memo: 30 characters at most.';
      this.errors = e;
      if (Object.keys(e).length) return;
      const dow = dayOfWeek(this.date);
      this.note = dow === 0 || dow === 6 ? 'Weekend date: the money leaves on the next business day.' : '';
      this.step = 2;
    },
    confirm() { this.step = 3; this.code = ''; this.codeErr = ''; },
    verify() {
      if (!/^\d{6}$/.test(this.code)) { this.codeErr = 'The code has 6 digits.'; return; }
      if (this.code !== '123456') {
        this.tries += 1;
        this.codeErr = this.tries >= 3 ? 'Too many wrong codes. Transfer cancelled.' : `Wrong code, ${3 - this.tries} tries left.`;
        if (this.tries >= 3) this.step = 5;
        return;
      }
      this.ref = 'TR-' + (1000 + Number(this.amount) * 7 % 9000).toFixed(0);
      this.$emit('done', { from: Number(this.from), to: this.to, amount: Number(this.amount), date: this.date, memo: this.memo });
      this.step = 4;
    },
    restart() { Object.assign(this.$data, { step: 1, to: '', amount: '', memo: '', errors: {}, tries: 0, code: '', codeErr: '' }); },
  },
  template: `<section class="panel">
    <h1>New transfer <span class="muted">step {{ Math.min(step, 4) }} of 4</span></h1>
    <form v-if="step === 1" @submit.prevent="next">
      <div class="row"><label>From <select v-model="from"><option v-for="a in accounts" :value="a.id">{{ a.name }} ({{ fmt(a.balance) }})</option></select></label></div>
      <div class="row"><label>To <select v-model="to"><option value="">Choose a payee</option><option v-for="p in payees">{{ p.name }}</option></select></label>
        <span class="error" v-if="errors.to">{{ errors.to }}</span></div>
      <div class="row"><label>Amount <input type="number" step="0.01" v-model="amount" placeholder="0.00"></label>
        <span class="error" v-if="errors.amount">{{ errors.amount }}</span></div>
      <div class="row"><label>Date <input type="date" v-model="date"></label><span class="error" v-if="errors.date">{{ errors.date }}</span></div>
      <div class="row"><label>Memo <input v-model="memo" placeholder="What is it for?"></label><span class="error" v-if="errors.memo">{{ errors.memo }}</span></div>
      <div class="row"><label><input type="checkbox" v-model="recurring"> Repeat this transfer</label>
        <select v-if="recurring" v-model="freq"><option>weekly</option><option>monthly</option><option>yearly</option></select></div>
      <button class="primary" type="submit">Continue</button>
    </form>
    <div v-else-if="step === 2">
      <p>Send <b>{{ fmt(Number(amount)) }}</b> from {{ source.name }} to <b>{{ to }}</b> on {{ date }}<span v-if="recurring">, repeating {{ freq }}</span>.</p>
      <p class="muted" v-if="memo">Memo: {{ memo }}</p><p class="warn" v-if="note">{{ note }}</p>
      <p class="warn" v-if="payee && payee.fresh">You added this payee today: check the account number {{ payee.account }}.</p>
      <div class="row"><button @click="step = 1">Edit</button><button class="primary" @click="confirm">Confirm</button></div>
    </div>
    <form v-else-if="step === 3" @submit.prevent="verify">
      <p>We sent a code to your phone (hint: 123456).</p>
      <div class="row"><input v-model="code" placeholder="6-digit code" inputmode="numeric"><button type="submit" class="primary">Verify</button></div>
      <p class="error" v-if="codeErr">{{ codeErr }}</p>
      <button type="button" @click="step = 2">Back</button>
    </form>
    <div v-else-if="step === 4"><p class="ok">Done! Reference {{ ref }}.</p><button @click="restart">New transfer</button> <a href="#/accounts">Back to accounts</a></div>
    <div v-else><p class="error">{{ codeErr }}</p><button @click="restart">Start over</button></div>
  </section>`,
};

const Payees = {
  props: ['payees'],
  emits: ['add', 'remove', 'star'],
  data: () => ({ q: '', name: '', email: '', account: '', err: '', confirm: null, onlyStarred: false }),
  computed: {
    shown() {
      return this.payees.filter((p) => p.name.toLowerCase().includes(this.q.toLowerCase()) && (!this.onlyStarred || p.star));
    },
  },
  methods: {
    add() {
      const acct = this.account.replace(/\s+/g, '').toUpperCase();
      if (this.name.trim().length < 2) this.err = 'Name is required.';
      else if (this.payees.some((p) => p.name.toLowerCase() === this.name.trim().toLowerCase())) this.err = 'This payee exists.';
      else if (this.email && !EMAIL.test(this.email)) this.err = 'Email is not valid.';
      else if (!IBAN.test(acct)) this.err = 'Account number looks wrong (e.g. DE89370400440532013000).';
      else { this.$emit('add', { name: this.name.trim(), email: this.email, account: acct, star: false, fresh: true });
        this.name = this.email = this.account = ''; this.err = ''; }
    },
  },
  template: `<section class="panel">
    <h1>Payees</h1>
    <div class="row"><input type="search" v-model="q" placeholder="Filter payees">
      <label><input type="checkbox" v-model="onlyStarred"> Favorites only</label></div>
    <ul class="list"><li v-for="p in shown" :key="p.name">
      <label><input type="checkbox" :checked="p.star" @change="$emit('star', p)"> ★</label>
      <span class="grow">{{ p.name }} <span class="muted">{{ p.account }}</span></span>
      <button @click="confirm = p">Delete</button></li></ul>
    <p v-if="!shown.length" class="muted">No payees match. <button @click="q = ''; onlyStarred = false">Show all</button></p>
    <h3>Add a payee</h3>
    <form @submit.prevent="add">
      <div class="row"><input v-model="name" placeholder="Full name"><input type="email" v-model="email" placeholder="Email (optional)">
        <input v-model="account" placeholder="Account number (IBAN)" size="28"><button type="submit">Add payee</button></div>
      <p class="error" v-if="err">{{ err }}</p>
    </form>
    <div class="overlay" v-if="confirm"><div class="dialog"><p>Delete {{ confirm.name }}?</p>
      <div class="row"><button class="primary" @click="$emit('remove', confirm); confirm = null">Delete</button><button @click="confirm = null">Cancel</button></div></div></div>
  </section>`,
};

const Cards = {
  data: () => ({ frozen: false, askFreeze: false, pin: '', pin2: '', pinMsg: '', limit: '1000', limitMsg: '',
    lost: 0, lostReason: 'lost', online: true }),
  methods: {
    toggleFreeze(e) { e.preventDefault(); this.askFreeze = true; },
    savePin() {
      if (!/^\d{4}$/.test(this.pin)) this.pinMsg = 'The PIN has 4 digits.';
      else if (['1234', '0000', '1111'].includes(this.pin)) this.pinMsg = 'Too easy to guess.';
      else if (this.pin !== this.pin2) this.pinMsg = 'The PINs do not match.';
      else { this.pinMsg = 'PIN changed.'; this.pin = this.pin2 = ''; }
    },
    saveLimit() {
      const n = Number(this.limit);
      this.limitMsg = !Number.isInteger(n) || n < 0 ? 'Use a whole amount.' : n > 10000 ? 'Maximum 10,000.'
        : n === 0 ? 'Card payments blocked (limit 0).' : 'Limit set to ' + n + '.';
    },
  },
  template: `<section class="panel">
    <h1>Cards</h1>
    <div class="card-visual" :class="{ frozen }">VISA •••• 4821 <span v-if="frozen">❄ frozen</span></div>
    <div class="row"><label><input type="checkbox" :checked="frozen" @click="toggleFreeze"> Freeze card</label>
      <label><input type="checkbox" v-model="online"> Online payments</label><span class="muted" v-if="!online">Online payments are off.</span></div>
    <div class="overlay" v-if="askFreeze"><div class="dialog"><p>{{ frozen ? 'Unfreeze' : 'Freeze' }} your card?</p>
      <div class="row"><button class="primary" @click="frozen = !frozen; askFreeze = false">Yes</button><button @click="askFreeze = false">No</button></div></div></div>
    <h3>Spending limit</h3>
    <div class="row"><input type="number" v-model="limit" @keyup.enter="saveLimit"><button @click="saveLimit">Set</button><span>{{ limitMsg }}</span></div>
    <h3>Change PIN</h3>
    <form class="row" @submit.prevent="savePin"><input type="password" v-model="pin" placeholder="New PIN">
      <input type="password" v-model="pin2" placeholder="Repeat PIN"><button type="submit">Change PIN</button><span>{{ pinMsg }}</span></form>
    <h3>Lost or stolen?</h3>
    <div v-if="lost === 0"><button @click="lost = 1">Report card</button></div>
    <div v-else-if="lost === 1" class="row"><select v-model="lostReason"><option value="lost">Lost</option><option value="stolen">Stolen</option><option value="damaged">Damaged</option></select>
      <button class="primary" @click="lost = 2">Block and replace</button><button @click="lost = 0">Cancel</button></div>
    <p v-else class="ok">Card blocked. {{ lostReason === 'damaged' ? 'A replacement is on its way.' : 'We also opened a fraud case #' + (lostReason === 'stolen' ? 'S-' : 'L-') + '2201.' }}</p>
  </section>`,
};

const Statements = {
  data: () => ({ year: '2024', months: [], msg: '', paperless: false, email: '', emailMsg: '' }),
  methods: {
    download() {
      if (!this.months.length) { this.msg = 'Select at least one month.'; return; }
      this.msg = this.year === '2025' ? 'No statements yet for 2025.' : `Prepared ${this.months.length} statement(s) for ${this.year}.`;
    },
    saveEmail() {
      this.emailMsg = EMAIL.test(this.email) ? 'Statements will be emailed to ' + this.email + '.' : 'Enter a valid email.';
    },
  },
  template: `<section class="panel">
    <h1>Statements</h1>
    <div class="row"><label>Year <select v-model="year"><option>2023</option><option>2024</option><option>2025</option></select></label></div>
    <div class="row"><label v-for="m in ['Oct', 'Nov', 'Dec']" :key="m"><input type="checkbox" :value="m" v-model="months"> {{ m }}</label></div>
    <button @click="download">Download selected</button> <span>{{ msg }}</span>
    <div class="row"><label><input type="checkbox" v-model="paperless"> Go paperless</label></div>
    <form class="row" v-if="paperless" @submit.prevent="saveEmail"><input type="email" v-model="email" placeholder="Email for statements">
      <button type="submit">Save</button><span>{{ emailMsg }}</span></form>
  </section>`,
};

const Support = {
  data: () => ({ open: -1, chat: [{ from: 'bot', text: 'Hi! Ask me about balance, cards or transfers.' }], text: '',
    phone: '', slot: 'morning', callMsg: '' }),
  methods: {
    send() {
      const t = this.text.trim();
      if (!t) return;
      this.chat.push({ from: 'me', text: t });
      const l = t.toLowerCase();
      const reply = l.includes('balance') ? 'Your balances are on the Accounts page.'
        : l.includes('card') ? 'You can freeze your card under Cards.'
          : l.includes('transfer') ? 'Transfers above 5,000 need a branch visit.'
            : l.includes('human') || l.includes('agent') ? 'Connecting you to an agent… (none available on a demo)' : 'Sorry, I did not get that.';
      this.chat.push({ from: 'bot', text: reply });
      this.text = '';
    },
    call() {
      const digits = this.phone.replace(/\D/g, '');
      this.callMsg = digits.length < 7 ? 'Enter a phone number.' : `We will call ${this.phone} in the ${this.slot}.`;
    },
  },
  template: `<section class="panel">
    <h1>Support</h1>
    <div v-for="(f, i) in [['Is my money safe?', 'Deposits are insured up to 100,000.'], ['How long does a transfer take?', 'One business day.'], ['Where is my PIN?', 'Change it under Cards.']]" :key="i">
      <div class="q" @click="open = open === i ? -1 : i">{{ open === i ? '▾' : '▸' }} {{ f[0] }}</div><p v-if="open === i">{{ f[1] }}</p></div>
    <h3>Chat</h3>
    <div class="chat"><p v-for="(m, i) in chat" :key="i" :class="m.from">{{ m.text }}</p></div>
    <input v-model="text" @keydown.enter="send" placeholder="Type a message and press Enter" size="40">
    <h3>Request a call</h3>
    <form class="row" @submit.prevent="call"><input type="tel" v-model="phone" placeholder="Phone">
      <select v-model="slot"><option>morning</option><option>afternoon</option></select><button type="submit">Call me</button></form>
    <p>{{ callMsg }}</p>
  </section>`,
};

const App = {
  components: { TransferWizard, Payees, Cards, Statements, Support },
  data: () => ({
    route: '', arg: '', notice: true, noticeNever: false, currency: 'USD', hide: false, bell: false, profile: false,
    accounts: [{ id: 1, name: 'Everyday', balance: 2450.75 }, { id: 2, name: 'Savings', balance: 10200 }, { id: 3, name: 'Credit card', balance: -320.4 }],
    editing: null, draft: '', renameErr: '',
    alerts: [{ id: 1, text: 'Salary received', read: false }, { id: 2, text: 'New statement available', read: false }, { id: 3, text: 'Card used abroad', read: false }],
    tx: TX.slice(), q: '', applied: '', cat: 'all', from: '', to: '', min: '', sel: -1, detail: null, dispute: false, reason: 'unknown',
    other: '', disputeMsg: '', txNote: '',
    payees: [{ name: 'City Rent', account: 'DE89370400440532013000', star: true }, { name: 'Jamie Lee', account: 'GB29NWBK60161331926819', star: false }],
    nextTx: 100,
  }),
  computed: {
    account() { return this.accounts.find((a) => String(a.id) === this.arg); },
    unread() { return this.alerts.filter((a) => !a.read).length; },
    rangeErr() { return this.from && this.to && this.to < this.from ? 'The end date is before the start date.' : ''; },
    txShown() {
      if (!this.account) return [];
      return this.tx.filter((t) => t.acct === this.account.id
        && (!this.applied || t.text.toLowerCase().includes(this.applied.toLowerCase()))
        && (this.cat === 'all' || t.cat === this.cat)
        && (this.rangeErr || ((!this.from || t.date >= this.from) && (!this.to || t.date <= this.to)))
        && (this.min === '' || Math.abs(t.amount) >= Number(this.min)));
    },
  },
  mounted() {
    const onHash = () => {
      const parts = (location.hash.replace(/^#\/?/, '') || 'accounts').split('/');
      this.route = parts[0]; this.arg = parts[1] || ''; this.sel = -1; this.detail = null; this.bell = false; this.profile = false;
    };
    window.addEventListener('hashchange', onHash);
    onHash();
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { this.detail = null; this.bell = false; this.profile = false; this.editing = null; return; }
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName) || this.notice) return;
      if (e.key === '/' && this.$refs.search) { e.preventDefault(); this.$refs.search.focus(); }
      if (this.route !== 'account') return;
      const n = this.txShown.length;
      if (e.key === 'ArrowDown' && n) { this.sel = Math.min(this.sel + 1, n - 1); e.preventDefault(); }
      else if (e.key === 'ArrowUp' && n) { this.sel = Math.max(this.sel - 1, 0); e.preventDefault(); }
      else if (e.key === 'Enter' && this.sel >= 0) this.openTx(this.txShown[this.sel]);
    });
  },
  methods: {
    go(path) { location.hash = '#/' + path; },
    fmt(v) {
      if (this.hide) return '•••';
      const x = v * RATES[this.currency];
      return (x < 0 ? '−' : '') + (this.currency === 'USD' ? '$' : '€') + Math.abs(x).toFixed(2);
    },
    closeNotice(setup) { this.notice = false; if (setup) location.hash = '#/cards'; },
    startRename(a) { this.editing = a.id; this.draft = a.name; this.renameErr = ''; },
    saveRename(a) {
      const v = this.draft.trim();
      if (v.length < 2 || v.length > 20) { this.renameErr = 'Names are 2 to 20 characters.'; return; }
      if (this.accounts.some((b) => b !== a && b.name.toLowerCase() === v.toLowerCase())) { this.renameErr = 'Another account has this name.'; return; }
      a.name = v; this.editing = null;
    },
    openTx(t) { this.detail = t; this.dispute = false; this.disputeMsg = ''; this.txNote = t.note || ''; },
    submitDispute() {
      if (this.detail.amount > 0) this.disputeMsg = 'Incoming payments cannot be disputed.';
      else if (this.reason === 'other' && this.other.trim().length < 5) this.disputeMsg = 'Describe the problem (5+ characters).';
      else { this.disputeMsg = 'Dispute opened. We will write within 5 days.'; this.detail.disputed = true; }
    },
    saveNote() { this.detail.note = this.txNote.trim(); },
    readAlert(a) { a.read = true; if (a.id === 2) location.hash = '#/statements'; },
    transferDone(t) {
      const a = this.accounts.find((x) => x.id === t.from);
      a.balance = Math.round((a.balance - t.amount) * 100) / 100;
      this.tx.unshift({ id: this.nextTx++, acct: a.id, date: t.date, text: 'To ' + t.to + (t.memo ? ' · ' + t.memo : ''), cat: 'transfer', amount: -t.amount });
    },
  },
  template: `
  <div v-if="route === 'terms'"><main><h1>Terms and conditions</h1><p>Plain text only. There is no way back from here but the browser's.</p></main></div>
  <div v-else-if="route === 'ended'"><main><h1>Session ended</h1><p>You signed out. Reload to start again.</p></main></div>
  <div v-else>
    <header class="top">
      <span class="brand">🏦 JAMEL Bank</span>
      <nav class="nav"><a v-for="[id, label] in [['accounts', 'Accounts'], ['transfer', 'Transfer'], ['payees', 'Payees'], ['cards', 'Cards'], ['statements', 'Statements'], ['support', 'Support']]"
        :key="id" :href="'#/' + id" :class="{ on: route === id }">{{ label }}</a></nav>
      <select v-model="currency" class="cur"><option>USD</option><option>EUR</option></select>
      <div class="hover" @mouseenter="bell = true" @mouseleave="bell = false">
        <button @click="bell = !bell">🔔 <span class="count" v-if="unread">{{ unread }}</span></button>
        <div class="menu" v-if="bell"><div v-for="a in alerts" :key="a.id" class="mi" :class="{ read: a.read }" @click="readAlert(a)">{{ a.text }}</div>
          <div class="mi" @click="alerts.forEach((a) => a.read = true)">Mark all read</div></div>
      </div>
      <div class="hover" @mouseenter="profile = true" @mouseleave="profile = false">
        <button>Sam ▾</button>
        <div class="menu" v-if="profile"><div class="mi" @click="go('support')">Help</div><div class="mi" @click="go('ended')">Sign out</div></div>
      </div>
    </header>
    <main>
      <section v-if="route === 'accounts'">
        <h1>Your accounts</h1>
        <label><input type="checkbox" v-model="hide"> Hide balances</label>
        <ul class="list">
          <li v-for="a in accounts" :key="a.id" @dblclick="startRename(a)">
            <span class="grow" v-if="editing !== a.id"><b>{{ a.name }}</b> <span class="muted">(double-click to rename)</span></span>
            <span class="grow" v-else><input v-model="draft" @keydown.enter="saveRename(a)" @keydown.esc="editing = null">
              <button @click="saveRename(a)">Save</button><span class="error">{{ renameErr }}</span></span>
            <span :class="{ neg: a.balance < 0 }">{{ fmt(a.balance) }}</span>
            <a :href="'#/account/' + a.id">Details</a>
          </li>
        </ul>
        <p class="muted">Total: {{ fmt(accounts.reduce((s, a) => s + a.balance, 0)) }}</p>
      </section>
      <section v-else-if="route === 'account' && account">
        <a href="#/accounts">← Accounts</a>
        <h1>{{ account.name }} <span class="muted">{{ fmt(account.balance) }}</span></h1>
        <form class="row" @submit.prevent="applied = q">
          <input type="search" ref="search" v-model="q" placeholder="Search transactions (press /)">
          <select v-model="cat"><option value="all">All categories</option><option v-for="c in ['food', 'income', 'housing', 'transport', 'shopping', 'transfer']">{{ c }}</option></select>
          <label>From <input type="date" v-model="from"></label><label>To <input type="date" v-model="to"></label>
          <label>Min <input type="number" v-model="min" size="5"></label>
        </form>
        <p class="error" v-if="rangeErr">{{ rangeErr }}</p>
        <p class="muted" v-if="applied">{{ txShown.length }} result(s) for “{{ applied }}” <button @click="q = ''; applied = ''">Clear</button></p>
        <table class="tx"><tbody>
          <tr v-for="(t, i) in txShown" :key="t.id" :class="{ sel: i === sel }" @click="sel = i" @dblclick="openTx(t)">
            <td>{{ t.date }}</td><td>{{ t.text }} <span v-if="t.disputed" class="warn">disputed</span></td><td>{{ t.cat }}</td>
            <td :class="{ neg: t.amount < 0 }">{{ fmt(t.amount) }}</td><td><button @click.stop="openTx(t)">View</button></td></tr>
        </tbody></table>
        <p v-if="!txShown.length" class="muted">No transactions match these filters.</p>
        <p class="muted">Tip: ↑/↓ select a row, Enter opens it.</p>
      </section>
      <TransferWizard v-else-if="route === 'transfer'" :accounts="accounts" :payees="payees" :fmt="fmt" @done="transferDone" />
      <Payees v-else-if="route === 'payees'" :payees="payees" @add="(p) => payees.push(p)" @remove="(p) => payees.splice(payees.indexOf(p), 1)" @star="(p) => p.star = !p.star" />
      <Cards v-else-if="route === 'cards'" />
      <Statements v-else-if="route === 'statements'" />
      <Support v-else-if="route === 'support'" />
      <section v-else class="panel"><h1>Page not found</h1><a href="#/accounts">Go to accounts</a></section>
    </main>
    <div class="overlay" v-if="detail"><div class="dialog">
      <h2>{{ detail.text }}</h2><p>{{ detail.date }} · {{ detail.cat }} · {{ fmt(detail.amount) }}</p>
      <div class="row"><input v-model="txNote" placeholder="Add a note" @keydown.enter="saveNote"><button @click="saveNote">Save note</button>
        <span class="muted" v-if="detail.note">Note: {{ detail.note }}</span></div>
      <div v-if="dispute"><div class="row"><select v-model="reason"><option value="unknown">I don't recognise it</option><option value="twice">Charged twice</option><option value="other">Other</option></select>
        <input v-if="reason === 'other'" v-model="other" placeholder="What happened?"><button @click="submitDispute">Submit</button></div>
        <p>{{ disputeMsg }}</p></div>
      <div class="row"><button v-if="!dispute && !detail.disputed" @click="dispute = true">Dispute</button><button @click="detail = null">Close</button></div>
    </div></div>
    <div class="overlay" v-if="notice"><div class="dialog">
      <h2>Security notice</h2><p>We never ask for your PIN by email. Review your card settings. <a href="#/terms">Terms</a></p>
      <label><input type="checkbox" v-model="noticeNever"> Don't show this again</label>
      <div class="row"><button class="primary" @click="closeNotice(false)">Continue</button><button @click="closeNotice(true)">Review card settings</button></div>
      <p class="muted" v-if="noticeNever">You will not see this notice again on this device.</p>
    </div></div>
  </div>`,
};

createApp(App).mount('#app');

/* JAMEL Demo Travel - flight and hotel booking single-page app.
 * Deterministic: flight data is derived from the route with a string hash, never Math.random. */
'use strict';

const AIRPORTS = { BER: 'Berlin', LHR: 'London', CDG: 'Paris', JFK: 'New York', NRT: 'Tokyo', MAD: 'Madrid' };
const AIRLINES = ['SkyWays', 'Aero Blue', 'NordJet'];
const RATES = { USD: 1, EUR: 0.92, GBP: 0.79 };
const SYMBOL = { USD: '$', EUR: '€', GBP: '£' };
const TODAY = '2025-01-01'; // fixed reference date keeps validation deterministic
const FARES = { basic: { label: 'Basic', extra: 0, bag: 'Carry-on only' }, standard: { label: 'Standard', extra: 40, bag: '1 checked bag' }, flex: { label: 'Flex', extra: 110, bag: '2 checked bags, free changes' } };
const HOTELS = [
  { id: 1, name: 'Hotel Spree View', city: 'Berlin', stars: 4, price: 120, rating: 8.7, amenities: ['wifi', 'breakfast'] },
  { id: 2, name: 'Budget Inn Mitte', city: 'Berlin', stars: 2, price: 59, rating: 7.1, amenities: ['wifi'] },
  { id: 3, name: 'Grand Thames', city: 'London', stars: 5, price: 310, rating: 9.2, amenities: ['wifi', 'pool', 'spa', 'breakfast'] },
  { id: 4, name: 'Camden Rooms', city: 'London', stars: 3, price: 140, rating: 8.0, amenities: ['wifi', 'breakfast'] },
  { id: 5, name: 'Le Petit Marais', city: 'Paris', stars: 3, price: 150, rating: 8.9, amenities: ['wifi'] },
  { id: 6, name: 'Seine Palace', city: 'Paris', stars: 5, price: 420, rating: 9.0, amenities: ['wifi', 'spa', 'pool'] },
  { id: 7, name: 'Shinjuku Capsule', city: 'Tokyo', stars: 2, price: 45, rating: 8.3, amenities: ['wifi'] },
];
const DEALS = [
  { id: 'd1', from: 'BER', to: 'LHR', text: 'Weekend in London', save: 20 },
  { id: 'd2', from: 'CDG', to: 'JFK', text: 'Paris to New York', save: 15 },
  { id: 'd3', from: 'MAD', to: 'NRT', text: 'Madrid to Tokyo', save: 10 },
];

const state = {
  currency: 'USD', search: null, results: [], sort: 'price', filters: { nonstop: false, maxPrice: 2000, airlines: new Set(AIRLINES) },
  booking: null, trips: [], refSeq: 0, hotelSearch: null, hotelFilters: { stars: 0, sort: 'price', amenity: '' }, promoCode: null,
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const view = () => $('#view');
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const money = (usd) => SYMBOL[state.currency] + Math.round(usd * RATES[state.currency]).toLocaleString('en-US');

function toast(msg) {
  const t = $('#toast');
  t.textContent = msg;
  t.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add('hidden'), 800);
}

function hashString(s) {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 100003;
  return h;
}

function daysBetween(a, b) {
  return Math.round((Date.parse(b) - Date.parse(a)) / 86400000);
}

/* ---------- routing ---------- */
function go(route) { location.hash = '#/' + route; }

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return { name: parts[0] || 'flights', arg: parts[1] };
}

function render() {
  const { name, arg } = parseHash();
  document.body.classList.toggle('bare', name === 'fare-rules');
  $$('.mainnav button').forEach((b) => b.classList.toggle('active', b.dataset.route === name));
  const routes = {
    flights: renderFlightSearch, results: renderResults, passengers: renderPassengers, seats: renderSeats, extras: renderExtras,
    review: renderReview, confirmed: () => renderConfirmed(arg), hotels: renderHotelSearch, hotel: () => renderHotel(arg),
    trips: renderTrips, trip: () => renderTrip(arg), deals: renderDeals, help: renderHelp, 'fare-rules': renderFareRules,
  };
  (routes[name] || renderFlightSearch)();
  $('#trip-count').textContent = String(state.trips.filter((t) => t.status !== 'Cancelled').length);
}

function steps(active) {
  const names = ['Search', 'Flight', 'Passengers', 'Seats', 'Extras', 'Review'];
  return `<div class="steps">${names.map((n, i) => `<span class="${i === active ? 'on' : ''}">${n}</span>`).join('')}</div>`;
}

/* ---------- flight search ---------- */
function airportOptions(selected) {
  return Object.entries(AIRPORTS).map(([code, city]) => `<option value="${code}" ${code === selected ? 'selected' : ''}>${city} (${code})</option>`).join('');
}

function renderFlightSearch() {
  const s = state.search || { from: 'BER', to: 'LHR', depart: '', ret: '', pax: 1, cabin: 'economy', trip: 'round' };
  view().innerHTML = `${steps(0)}<h1>Find a flight</h1><form id="flight-form" class="card" novalidate>
    <fieldset><legend>Trip type</legend>
      <label><input type="radio" name="trip" id="trip-round" value="round" ${s.trip === 'round' ? 'checked' : ''}> Round trip</label>
      <label><input type="radio" name="trip" id="trip-oneway" value="oneway" ${s.trip === 'oneway' ? 'checked' : ''}> One way</label></fieldset>
    <div class="row">
      <div class="field"><label for="from">From</label><select id="from">${airportOptions(s.from)}</select></div>
      <button type="button" id="swap" aria-label="Swap origin and destination">⇄</button>
      <div class="field"><label for="to">To</label><select id="to">${airportOptions(s.to)}</select></div>
    </div><span class="error" id="route-error"></span>
    <div class="row">
      <div class="field"><label for="depart">Departure</label><input type="date" id="depart" value="${s.depart}"><span class="error" id="depart-error"></span></div>
      <div class="field ${s.trip === 'oneway' ? 'hidden' : ''}" id="return-field"><label for="return">Return</label><input type="date" id="return" value="${s.ret}"><span class="error" id="return-error"></span></div>
      <div class="field"><label for="pax">Passengers</label><input type="number" id="pax" min="1" max="9" value="${s.pax}"><span class="error" id="pax-error"></span></div>
      <div class="field"><label for="cabin">Cabin</label><select id="cabin">${['economy', 'premium', 'business'].map((c) => `<option ${c === s.cabin ? 'selected' : ''}>${c}</option>`).join('')}</select></div>
    </div>
    <button type="submit" id="search-flights" class="primary">Search flights</button></form>
    <p class="muted">Tip: dates must be after ${TODAY}. Try the <a href="#/deals" id="deals-link">deals page</a> for inspiration.</p>`;
  $('#trip-round').addEventListener('change', () => $('#return-field').classList.remove('hidden'));
  $('#trip-oneway').addEventListener('change', () => $('#return-field').classList.add('hidden'));
  $('#swap').addEventListener('click', swapAirports);
  $('#flight-form').addEventListener('submit', (e) => { e.preventDefault(); submitFlightSearch(); });
}

function swapAirports() {
  const a = $('#from').value;
  $('#from').value = $('#to').value;
  $('#to').value = a;
  toast('Swapped');
}

function submitFlightSearch() {
  const q = { from: $('#from').value, to: $('#to').value, depart: $('#depart').value, ret: $('#return').value, pax: Number($('#pax').value), cabin: $('#cabin').value, trip: $('#trip-oneway').checked ? 'oneway' : 'round' };
  const errs = { route: '', depart: '', return: '', pax: '' };
  if (q.from === q.to) errs.route = 'Origin and destination must differ.';
  if (!q.depart) errs.depart = 'Pick a departure date.';
  else if (q.depart <= TODAY) errs.depart = 'Departure must be in the future.';
  if (q.trip === 'round') {
    if (!q.ret) errs.return = 'Pick a return date.';
    else if (q.depart && q.ret < q.depart) errs.return = 'Return must be after departure.';
    else if (q.depart && daysBetween(q.depart, q.ret) > 60) errs.return = 'Trips are limited to 60 days.';
  }
  if (!Number.isInteger(q.pax) || q.pax < 1) errs.pax = 'At least one passenger.';
  else if (q.pax > 9) errs.pax = 'For groups over 9, contact us.';
  Object.entries(errs).forEach(([k, v]) => { $('#' + k + '-error').textContent = v; });
  if (Object.values(errs).some(Boolean)) return;
  state.search = q;
  state.results = makeFlights(q);
  go('results');
}

function makeFlights(q) {
  const base = 80 + (hashString(q.from + q.to) % 400);
  const cabinMult = { economy: 1, premium: 1.6, business: 3.2 }[q.cabin];
  const flights = [];
  for (let i = 0; i < 7; i++) {
    const h = hashString(q.from + q.to + q.depart + i);
    const stops = h % 3 === 0 ? 1 : (h % 7 === 0 ? 2 : 0);
    const depMin = 360 + ((h * 13) % 900);
    const dur = 90 + (h % 500) + stops * 95;
    flights.push({
      id: 'F' + (100 + i), airline: AIRLINES[h % AIRLINES.length], stops, dep: depMin, dur,
      price: Math.round((base + (h % 150) - stops * 30) * cabinMult),
    });
  }
  return flights;
}

const clock = (m) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const duration = (m) => `${Math.floor(m / 60)}h ${m % 60}m`;

function visibleFlights() {
  const f = state.filters;
  const list = state.results.filter((x) => (!f.nonstop || x.stops === 0) && x.price <= f.maxPrice && f.airlines.has(x.airline));
  const cmp = { price: (a, b) => a.price - b.price, duration: (a, b) => a.dur - b.dur, departure: (a, b) => a.dep - b.dep };
  return list.sort(cmp[state.sort]);
}

function renderResults() {
  if (!state.search) { go('flights'); return; }
  const q = state.search;
  const list = visibleFlights();
  const cheapest = list.length ? Math.min(...list.map((x) => x.price)) : 0;
  view().innerHTML = `${steps(1)}<h1>${AIRPORTS[q.from]} → ${AIRPORTS[q.to]}</h1>
    <p class="muted">${q.depart}${q.trip === 'round' ? ' – ' + q.ret : ' (one way)'} · ${q.pax} passenger(s) · ${q.cabin} <button type="button" class="link" id="modify-search">Modify search</button></p>
    <div class="layout"><aside class="sidebar" aria-label="Filters"><h2>Filters</h2>
      <label><input type="checkbox" id="f-nonstop" ${state.filters.nonstop ? 'checked' : ''}> Nonstop only</label>
      <label for="f-max">Max price</label><select id="f-max">${[300, 500, 800, 1200, 2000].map((v) => `<option value="${v}" ${v === state.filters.maxPrice ? 'selected' : ''}>${v === 2000 ? 'any' : 'up to ' + money(v)}</option>`).join('')}</select>
      <h3>Airlines</h3>${AIRLINES.map((a, i) => `<label><input type="checkbox" id="f-air-${i}" class="f-air" value="${a}" ${state.filters.airlines.has(a) ? 'checked' : ''}> ${a}</label>`).join('')}
      <label for="sort">Sort by</label><select id="sort">${['price', 'duration', 'departure'].map((s) => `<option ${s === state.sort ? 'selected' : ''}>${s}</option>`).join('')}</select>
    </aside><section aria-label="Flights">
      <p id="flight-count">${list.length} of ${state.results.length} flights</p>
      ${list.length ? list.map((x) => `<div class="flight" id="row-${x.id}"><div><strong>${clock(x.dep)} – ${clock(x.dep + x.dur)}</strong><div class="muted">${x.airline}</div></div>
        <div><button type="button" class="stops link" id="stops-${x.id}" data-id="${x.id}" aria-label="Connection info">${x.stops === 0 ? 'Nonstop' : x.stops + ' stop(s)'}</button> · ${duration(x.dur)}${x.price === cheapest ? ' <span class="badge">Cheapest</span>' : ''}</div>
        <div class="price">${money(x.price)}</div><div><button type="button" id="details-${x.id}" class="fdetails" data-id="${x.id}">Details</button> <button type="button" id="select-${x.id}" class="fselect primary" data-id="${x.id}">Select</button></div></div>`).join('')
        : '<p id="no-flights">No flights match. <button type="button" class="link" id="clear-filters">Clear filters</button></p>'}
    </section></div>`;
  $('#modify-search').addEventListener('click', () => go('flights'));
  $('#f-nonstop').addEventListener('change', (e) => { state.filters.nonstop = e.target.checked; render(); });
  $('#f-max').addEventListener('change', (e) => { state.filters.maxPrice = Number(e.target.value); render(); });
  $$('.f-air').forEach((c) => c.addEventListener('change', () => { if (c.checked) state.filters.airlines.add(c.value); else state.filters.airlines.delete(c.value); render(); }));
  $('#sort').addEventListener('change', (e) => { state.sort = e.target.value; render(); });
  $$('.fdetails').forEach((b) => b.addEventListener('click', () => showFlightDetails(b.dataset.id)));
  $$('.fselect').forEach((b) => b.addEventListener('click', () => chooseFare(b.dataset.id)));
  $$('.stops').forEach((el) => {
    el.addEventListener('mouseenter', () => showStopsTip(el));
    el.addEventListener('focus', () => showStopsTip(el));
    el.addEventListener('mouseleave', () => $('#tooltip').classList.add('hidden'));
    el.addEventListener('blur', () => $('#tooltip').classList.add('hidden'));
  });
  const clear = $('#clear-filters');
  if (clear) clear.addEventListener('click', () => { state.filters = { nonstop: false, maxPrice: 2000, airlines: new Set(AIRLINES) }; render(); });
}

function showStopsTip(el) {
  const f = state.results.find((x) => x.id === el.dataset.id);
  const hubs = ['Frankfurt', 'Amsterdam', 'Dubai'];
  const tip = $('#tooltip');
  tip.textContent = f.stops === 0 ? 'Direct flight, no connections.' : 'Connects via ' + hubs.slice(0, f.stops).join(' and ') + ' (min. 55 min layover)';
  const r = el.getBoundingClientRect();
  tip.style.left = r.left + 'px';
  tip.style.top = r.bottom + 6 + 'px';
  tip.classList.remove('hidden');
}

function showFlightDetails(id) {
  const f = state.results.find((x) => x.id === id);
  openModal(`Flight ${id} details`, `<p>${f.airline} · ${clock(f.dep)} → ${clock(f.dep + f.dur)} (${duration(f.dur)})</p>
    <p>Aircraft: ${f.dur > 400 ? 'Wide-body A350' : 'Narrow-body A320'} · Meals: ${f.dur > 240 ? 'included' : 'snacks for purchase'}</p>
    <p><a href="#/fare-rules" id="fare-rules-link">Read fare rules</a></p>`, (root) => { $('#fare-rules-link', root).addEventListener('click', closeModal); });
}

function chooseFare(id) {
  const f = state.results.find((x) => x.id === id);
  openModal('Choose your fare', Object.entries(FARES).map(([k, v]) => `<div class="row"><button type="button" id="fare-${k}" class="fare primary" data-fare="${k}">${v.label} — ${money(f.price + v.extra)}</button><span class="muted">${v.bag}</span></div>`).join(''), (root) => {
    $$('.fare', root).forEach((b) => b.addEventListener('click', () => {
      state.booking = { flight: f, fare: b.dataset.fare, passengers: [], seats: [], bags: 0, insurance: false, meal: 'none' };
      closeModal();
      go('passengers');
    }));
  });
}

/* ---------- booking flow ---------- */
function renderPassengers() {
  const b = state.booking;
  if (!b) { go('flights'); return; }
  const n = state.search.pax;
  let html = '';
  for (let i = 0; i < n; i++) {
    const p = b.passengers[i] || { first: '', last: '', dob: '', passport: '' };
    html += `<fieldset class="card"><legend>Passenger ${i + 1}</legend><div class="form-grid">
      ${input(`p${i}-first`, 'First name', p.first)}${input(`p${i}-last`, 'Last name', p.last)}
      ${input(`p${i}-dob`, 'Date of birth', p.dob, 'date')}${input(`p${i}-passport`, 'Passport number', p.passport)}</div></fieldset>`;
  }
  view().innerHTML = `${steps(2)}<h1>Who is travelling?</h1><form id="pax-form" novalidate>${html}
    ${input('contact-email', 'Contact email', b.email || '', 'email')}
    <div class="row"><button type="button" id="pax-back">Back to results</button><button type="submit" id="pax-continue" class="primary">Continue to seats</button></div></form>`;
  $('#pax-back').addEventListener('click', () => go('results'));
  $('#pax-form').addEventListener('submit', (e) => { e.preventDefault(); submitPassengers(n); });
}

function input(id, label, value, type = 'text') {
  return `<div class="field"><label for="${id}">${label}</label><input id="${id}" type="${type}" value="${esc(value)}"><span class="error" id="${id}-error"></span></div>`;
}

function validatePassenger(p) {
  const e = {};
  if (!/^[A-Za-z][A-Za-z '-]+$/.test(p.first)) e.first = 'Letters only, at least 2.';
  if (!/^[A-Za-z][A-Za-z '-]+$/.test(p.last)) e.last = 'Letters only, at least 2.';
  if (!p.dob) e.dob = 'Date of birth is required.';
  else if (p.dob >= TODAY) e.dob = 'Date must be in the past.';
  else if (daysBetween(p.dob, TODAY) > 365 * 110) e.dob = 'Please check the year.';
  if (!/^[A-Z0-9]{6,9}$/i.test(p.passport)) e.passport = '6-9 letters or digits.';
  return e;
}

function submitPassengers(n) {
  const b = state.booking;
  let valid = true;
  b.passengers = [];
  for (let i = 0; i < n; i++) {
    const p = { first: $(`#p${i}-first`).value.trim(), last: $(`#p${i}-last`).value.trim(), dob: $(`#p${i}-dob`).value, passport: $(`#p${i}-passport`).value.trim() };
    const e = validatePassenger(p);
    ['first', 'last', 'dob', 'passport'].forEach((k) => { $(`#p${i}-${k}-error`).textContent = e[k] || ''; });
    if (Object.keys(e).length) valid = false;
    b.passengers.push(p);
  }
  const email = $('#contact-email').value.trim();
  const emailOk = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(email);
  $('#contact-email-error').textContent = emailOk ? '' : 'Enter a valid email.';
  b.email = email;
  if (valid && emailOk) go('seats');
}

function seatTaken(code) {
  return hashString(state.booking.flight.id + code) % 3 === 0;
}

function renderSeats() {
  const b = state.booking;
  if (!b || b.passengers.length === 0) { go('passengers'); return; }
  const cols = ['A', 'B', 'C', 'D', 'E', 'F'];
  let grid = '';
  for (let row = 1; row <= 8; row++) {
    cols.forEach((c, i) => {
      if (i === 3) grid += '<span class="aisle" aria-hidden="true"></span>';
      const code = row + c;
      const taken = seatTaken(code);
      const mine = b.seats.includes(code);
      const leg = row === 1 || row === 5;
      grid += `<button type="button" id="seat-${code}" class="seat ${taken ? 'taken' : ''} ${mine ? 'mine' : ''} ${leg ? 'legroom' : ''}" data-code="${code}" aria-pressed="${mine}" aria-label="Seat ${code}${taken ? ' occupied' : ''}${leg ? ' extra legroom' : ''}" ${taken ? 'disabled' : ''}>${code}</button>`;
    });
  }
  view().innerHTML = `${steps(3)}<h1>Choose seats</h1><p>Select ${b.passengers.length} seat(s). Orange seats have extra legroom (+${money(25)}).</p>
    <div class="seatmap" role="group" aria-label="Seat map">${grid}</div>
    <p id="seat-summary">Selected: ${b.seats.join(', ') || 'none'}</p><p class="error" id="seat-error"></p>
    <div class="row"><button type="button" id="seats-skip">Skip (random seats at check-in)</button><button type="button" id="seats-continue" class="primary">Continue</button></div>`;
  $$('.seat').forEach((s) => s.addEventListener('click', () => toggleSeat(s.dataset.code)));
  $('#seats-skip').addEventListener('click', () => { b.seats = []; b.seatsSkipped = true; go('extras'); });
  $('#seats-continue').addEventListener('click', () => {
    if (b.seats.length !== b.passengers.length) { $('#seat-error').textContent = `Please pick exactly ${b.passengers.length} seat(s).`; return; }
    b.seatsSkipped = false;
    go('extras');
  });
}

function toggleSeat(code) {
  const b = state.booking;
  if (b.seats.includes(code)) b.seats = b.seats.filter((s) => s !== code);
  else if (b.seats.length >= b.passengers.length) { $('#seat-error').textContent = 'You already picked a seat for every passenger. Deselect one first.'; return; } else b.seats.push(code);
  render();
}

function bookingPrice(b) {
  const pax = b.passengers.length || state.search.pax;
  const fare = (b.flight.price + FARES[b.fare].extra) * pax;
  const legroom = b.seats.filter((s) => /^[15][A-F]$/.test(s)).length * 25;
  const bags = b.bags * 35;
  const insurance = b.insurance ? 19 * pax : 0;
  const discount = state.promoCode ? Math.round(fare * 0.15) : 0;
  return { fare, legroom, bags, insurance, discount, total: fare + legroom + bags + insurance - discount };
}

function renderExtras() {
  const b = state.booking;
  if (!b || b.passengers.length === 0) { go('flights'); return; }
  view().innerHTML = `${steps(4)}<h1>Extras</h1><div class="card">
    <div class="field"><label for="bags">Extra checked bags (${money(35)} each)</label><input type="number" id="bags" min="0" max="4" value="${b.bags}"><span class="error" id="bags-error"></span></div>
    <div class="field"><label for="meal">Meal preference</label><select id="meal">${['none', 'vegetarian', 'vegan', 'gluten-free', 'kosher'].map((m) => `<option ${m === b.meal ? 'selected' : ''}>${m}</option>`).join('')}</select></div>
    <label><input type="checkbox" id="insurance" ${b.insurance ? 'checked' : ''}> Add travel insurance (${money(19)} per person)</label>
    <p id="insurance-note" class="muted ${b.insurance ? '' : 'hidden'}">Covers cancellation up to 24 hours before departure.</p></div>
    <p id="extras-total">Running total: ${money(bookingPrice(b).total)}</p>
    <div class="row"><button type="button" id="extras-back">Back to seats</button><button type="button" id="extras-continue" class="primary">Review booking</button></div>`;
  $('#bags').addEventListener('change', (e) => {
    const n = Number(e.target.value);
    if (!Number.isInteger(n) || n < 0 || n > 4) { $('#bags-error').textContent = 'Between 0 and 4 bags.'; return; }
    $('#bags-error').textContent = '';
    b.bags = n;
    $('#extras-total').textContent = 'Running total: ' + money(bookingPrice(b).total);
  });
  $('#meal').addEventListener('change', (e) => { b.meal = e.target.value; });
  $('#insurance').addEventListener('change', (e) => { b.insurance = e.target.checked; render(); });
  $('#extras-back').addEventListener('click', () => go('seats'));
  $('#extras-continue').addEventListener('click', () => go('review'));
}

function renderReview() {
  const b = state.booking;
  if (!b || b.passengers.length === 0) { go('flights'); return; }
  const p = bookingPrice(b);
  const q = state.search;
  view().innerHTML = `${steps(5)}<h1>Review and pay</h1><div class="card">
    <p><strong>${AIRPORTS[q.from]} → ${AIRPORTS[q.to]}</strong>, ${q.depart} · ${b.flight.airline} ${b.flight.id} · ${FARES[b.fare].label} fare</p>
    <p>Passengers: ${b.passengers.map((x) => esc(x.first + ' ' + x.last)).join(', ')}</p>
    <p>Seats: ${b.seatsSkipped ? 'assigned at check-in' : b.seats.join(', ')} · Meal: ${b.meal} · Bags: ${b.bags}</p>
    <table><tr><td>Fare</td><td>${money(p.fare)}</td></tr>${p.legroom ? `<tr><td>Legroom seats</td><td>${money(p.legroom)}</td></tr>` : ''}
      ${p.bags ? `<tr><td>Bags</td><td>${money(p.bags)}</td></tr>` : ''}${p.insurance ? `<tr><td>Insurance</td><td>${money(p.insurance)}</td></tr>` : ''}
      ${p.discount ? `<tr><td>Welcome discount</td><td>−${money(p.discount)}</td></tr>` : ''}<tr><th>Total</th><th id="review-total">${money(p.total)}</th></tr></table></div>
    <label><input type="checkbox" id="accept-rules"> I have read the <a href="#/fare-rules" id="review-rules">fare rules</a></label><p class="error" id="rules-error"></p>
    <div class="row"><button type="button" id="review-edit">Edit extras</button><button type="button" id="book-now" class="primary">Confirm and pay</button></div>`;
  $('#review-edit').addEventListener('click', () => go('extras'));
  $('#book-now').addEventListener('click', () => {
    if (!$('#accept-rules').checked) { $('#rules-error').textContent = 'Please accept the fare rules.'; return; }
    $('#book-now').disabled = true;
    $('#book-now').textContent = 'Booking…';
    setTimeout(finishBooking, 600);
  });
}

function finishBooking() {
  const b = state.booking;
  state.refSeq += 1;
  const ref = 'JM' + String(4100 + state.refSeq * 37).padStart(4, '0');
  state.trips.push({ ref, kind: 'flight', title: `${AIRPORTS[state.search.from]} → ${AIRPORTS[state.search.to]}`, date: state.search.depart, total: bookingPrice(b).total, status: 'Confirmed', checkedIn: false, pax: b.passengers.length });
  state.booking = null;
  go('confirmed/' + ref);
}

function renderConfirmed(ref) {
  const trip = state.trips.find((t) => t.ref === ref);
  if (!trip) { go('trips'); return; }
  view().innerHTML = `<h1>Booking confirmed 🎉</h1><p id="booking-ref">Reference <strong>${ref}</strong> · ${esc(trip.title)} · ${money(trip.total)}</p>
    <div class="row"><button type="button" id="view-trip" class="primary">View trip</button><button type="button" id="add-hotel">Add a hotel</button></div>`;
  $('#view-trip').addEventListener('click', () => go('trip/' + ref));
  $('#add-hotel').addEventListener('click', () => go('hotels'));
}

/* ---------- trips ---------- */
function renderTrips() {
  view().innerHTML = `<h1>My trips</h1>${state.trips.length ? `<table id="trips-table"><tr><th>Ref</th><th>Trip</th><th>Date</th><th>Status</th><th></th></tr>
    ${state.trips.map((t) => `<tr><td>${t.ref}</td><td>${esc(t.title)}</td><td>${t.date}</td><td>${t.status}</td><td><button type="button" id="open-${t.ref}" class="open-trip" data-ref="${t.ref}">Open</button></td></tr>`).join('')}</table>`
    : '<p id="no-trips">No trips yet.</p>'}
    <h2>Find a booking</h2><form id="lookup-form" class="row" novalidate><label for="lookup-ref">Booking reference</label><input id="lookup-ref" placeholder="JM4137"><button type="submit" id="lookup-go">Find</button><span id="lookup-msg" class="error"></span></form>`;
  $$('.open-trip').forEach((b) => b.addEventListener('click', () => go('trip/' + b.dataset.ref)));
  $('#lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ref = $('#lookup-ref').value.trim().toUpperCase();
    if (!/^(JM|HT)\d{4}$/.test(ref)) { $('#lookup-msg').textContent = 'References look like JM1234 or HT1234.'; return; }
    if (!state.trips.some((t) => t.ref === ref)) { $('#lookup-msg').textContent = 'No booking with that reference.'; return; }
    go('trip/' + ref);
  });
}

function renderTrip(ref) {
  const t = state.trips.find((x) => x.ref === ref);
  if (!t) { go('trips'); return; }
  const canCheckIn = t.kind === 'flight' && t.status === 'Confirmed' && !t.checkedIn;
  view().innerHTML = `<p><a href="#/trips" id="back-trips">← All trips</a></p><h1>${esc(t.title)}</h1>
    <p>Reference ${t.ref} · ${t.date} · <span id="trip-status">${t.status}${t.checkedIn ? ' · checked in' : ''}</span> · ${money(t.total)}</p>
    <div class="row">${canCheckIn ? '<button type="button" id="check-in" class="primary">Online check-in</button>' : ''}
      ${t.checkedIn ? '<button type="button" id="boarding-pass">Show boarding pass</button>' : ''}
      ${t.status !== 'Cancelled' ? '<button type="button" id="cancel-trip">Cancel booking</button>' : ''}</div>`;
  const ci = $('#check-in');
  if (ci) ci.addEventListener('click', () => { t.checkedIn = true; toast('Checked in'); render(); });
  const bp = $('#boarding-pass');
  if (bp) bp.addEventListener('click', () => openModal('Boarding pass', `<pre>${t.ref}  ${esc(t.title)}\nGATE B${(hashString(t.ref) % 40) + 1}  BOARDING 07:35\n▮▮▯▮▯▯▮▮▮▯▮▯</pre>`));
  const cancel = $('#cancel-trip');
  if (cancel) cancel.addEventListener('click', () => confirmCancel(t));
}

function confirmCancel(t) {
  openModal('Cancel booking?', `<p>Type the reference <strong>${t.ref}</strong> to confirm cancellation.</p>
    <div class="field"><label for="cancel-confirm">Reference</label><input id="cancel-confirm"><span class="error" id="cancel-confirm-error"></span></div>
    <button type="button" id="cancel-yes" class="primary">Cancel booking</button>`, (root) => {
    $('#cancel-yes', root).addEventListener('click', () => {
      if ($('#cancel-confirm').value.trim().toUpperCase() !== t.ref) { $('#cancel-confirm-error').textContent = 'Reference does not match.'; return; }
      t.status = 'Cancelled';
      closeModal();
      render();
    });
  });
}

/* ---------- hotels ---------- */
function renderHotelSearch() {
  const s = state.hotelSearch || { city: 'Berlin', checkin: '', checkout: '', guests: 2 };
  const hf = state.hotelFilters;
  let list = state.hotelSearch ? HOTELS.filter((h) => h.city === s.city && h.stars >= hf.stars && (!hf.amenity || h.amenities.includes(hf.amenity))) : [];
  list = list.sort(hf.sort === 'price' ? (a, b) => a.price - b.price : (a, b) => b.rating - a.rating);
  const nights = state.hotelSearch ? daysBetween(s.checkin, s.checkout) : 0;
  view().innerHTML = `<h1>Hotels</h1><form id="hotel-form" class="card row" novalidate>
    <div class="field"><label for="h-city">City</label><select id="h-city">${[...new Set(HOTELS.map((h) => h.city))].map((c) => `<option ${c === s.city ? 'selected' : ''}>${c}</option>`).join('')}</select></div>
    ${input('h-checkin', 'Check-in', s.checkin, 'date')}${input('h-checkout', 'Check-out', s.checkout, 'date')}
    <div class="field"><label for="h-guests">Guests</label><input type="number" id="h-guests" min="1" max="6" value="${s.guests}"><span class="error" id="h-guests-error"></span></div>
    <button type="submit" id="h-search" class="primary">Search hotels</button></form>
    ${state.hotelSearch ? `<div class="toolbar"><label for="h-stars">Min stars</label><select id="h-stars">${[0, 2, 3, 4, 5].map((n) => `<option value="${n}" ${n === hf.stars ? 'selected' : ''}>${n || 'any'}</option>`).join('')}</select>
      <label for="h-amenity">Amenity</label><select id="h-amenity">${['', 'wifi', 'breakfast', 'pool', 'spa'].map((a) => `<option value="${a}" ${a === hf.amenity ? 'selected' : ''}>${a || 'any'}</option>`).join('')}</select>
      <label for="h-sort">Sort</label><select id="h-sort"><option value="price" ${hf.sort === 'price' ? 'selected' : ''}>Lowest price</option><option value="rating" ${hf.sort === 'rating' ? 'selected' : ''}>Best rated</option></select></div>
      <p id="hotel-count">${list.length} hotel(s) in ${s.city} for ${nights} night(s)</p>
      ${list.map((h) => `<div class="card row"><strong>${esc(h.name)}</strong> ${'★'.repeat(h.stars)} · ${h.rating}/10 · ${money(h.price)}/night <span class="muted">${h.amenities.join(', ')}</span>
        <button type="button" id="hotel-${h.id}" class="hotel-open" data-id="${h.id}">View rooms</button></div>`).join('') || '<p id="no-hotels">No hotels match these filters.</p>'}` : ''}`;
  $('#hotel-form').addEventListener('submit', (e) => { e.preventDefault(); submitHotelSearch(); });
  if (state.hotelSearch) {
    $('#h-stars').addEventListener('change', (e) => { hf.stars = Number(e.target.value); render(); });
    $('#h-amenity').addEventListener('change', (e) => { hf.amenity = e.target.value; render(); });
    $('#h-sort').addEventListener('change', (e) => { hf.sort = e.target.value; render(); });
    $$('.hotel-open').forEach((b) => b.addEventListener('click', () => go('hotel/' + b.dataset.id)));
  }
}

function submitHotelSearch() {
  const s = { city: $('#h-city').value, checkin: $('#h-checkin').value, checkout: $('#h-checkout').value, guests: Number($('#h-guests').value) };
  const e = { 'h-checkin': '', 'h-checkout': '', 'h-guests': '' };
  if (!s.checkin) e['h-checkin'] = 'Choose a check-in date.';
  else if (s.checkin <= TODAY) e['h-checkin'] = 'Check-in must be in the future.';
  if (!s.checkout) e['h-checkout'] = 'Choose a check-out date.';
  else if (s.checkin && daysBetween(s.checkin, s.checkout) < 1) e['h-checkout'] = 'Stay must be at least one night.';
  else if (s.checkin && daysBetween(s.checkin, s.checkout) > 30) e['h-checkout'] = 'Maximum stay is 30 nights.';
  if (!(s.guests >= 1 && s.guests <= 6)) e['h-guests'] = '1 to 6 guests per booking.';
  Object.entries(e).forEach(([k, v]) => { $('#' + k + '-error').textContent = v; });
  if (Object.values(e).some(Boolean)) return;
  state.hotelSearch = s;
  render();
}

function renderHotel(id) {
  const h = HOTELS.find((x) => x.id === Number(id));
  if (!h || !state.hotelSearch) { go('hotels'); return; }
  const nights = daysBetween(state.hotelSearch.checkin, state.hotelSearch.checkout);
  const rooms = [['standard', 'Standard room', 1], ['deluxe', 'Deluxe room', 1.4], ['suite', 'Suite', 2.2]];
  view().innerHTML = `<p><a href="#/hotels" id="back-hotels">← Back to hotels</a></p><h1>${esc(h.name)}</h1>
    <div class="hero-banner" id="hotel-photo" title="Double-click for full screen">🏨 ${esc(h.city)} · ${'★'.repeat(h.stars)}</div>
    <form id="room-form" novalidate><fieldset><legend>Room</legend>${rooms.map(([k, l, m], i) => `<label><input type="radio" name="room" id="room-${k}" value="${k}" ${i === 0 ? 'checked' : ''}> ${l} — ${money(h.price * m)}/night</label>`).join('<br>')}</fieldset>
      ${input('guest-name', 'Lead guest name', '')}
      <div class="field"><label for="arrival">Arrival time</label><select id="arrival"><option value="">I don't know</option><option>14:00-16:00</option><option>16:00-20:00</option><option>after 20:00</option></select></div>
      <div class="field"><label for="requests">Special requests</label><textarea id="requests" rows="2" maxlength="200"></textarea><span class="muted" id="requests-count">0/200</span></div>
      <p id="stay-total">${nights} night(s)</p><button type="submit" id="book-hotel" class="primary">Book this hotel</button></form>`;
  $('#hotel-photo').addEventListener('dblclick', () => openModal('Photo', `<div style="font-size:140px;text-align:center">🏨</div><p>${esc(h.name)}, ${esc(h.city)}</p>`));
  $('#requests').addEventListener('input', (e) => { $('#requests-count').textContent = e.target.value.length + '/200'; });
  $('#arrival').addEventListener('change', (e) => { if (e.target.value === 'after 20:00') toast('Late arrival noted — reception is open 24h'); });
  $('#room-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('#guest-name').value.trim();
    if (name.split(/\s+/).length < 2) { $('#guest-name-error').textContent = 'Enter first and last name.'; return; }
    const room = $$('input[name=room]').find((r) => r.checked).value;
    const mult = rooms.find((r) => r[0] === room)[2];
    state.refSeq += 1;
    const ref = 'HT' + String(5200 + state.refSeq * 41);
    state.trips.push({ ref, kind: 'hotel', title: `${h.name} (${room})`, date: state.hotelSearch.checkin, total: h.price * mult * nights, status: 'Confirmed' });
    go('confirmed/' + ref);
  });
}

/* ---------- deals, help, fare rules ---------- */
function renderDeals() {
  view().innerHTML = `<h1>Deals</h1><div class="grid">${DEALS.map((d) => `<div class="card"><h3>${d.text}</h3><p>${AIRPORTS[d.from]} → ${AIRPORTS[d.to]}</p>
    <p class="ok">Save ${d.save}%</p><button type="button" id="deal-${d.id}" class="deal primary" data-id="${d.id}">Search this route</button></div>`).join('')}</div>
    ${state.promoCode ? `<p id="promo-active" class="ok">Your welcome code ${state.promoCode} is active (15% off flights).</p>` : '<p class="muted">Sign up to our newsletter for a welcome code.</p>'}`;
  $$('.deal').forEach((b) => b.addEventListener('click', () => {
    const d = DEALS.find((x) => x.id === b.dataset.id);
    state.search = { from: d.from, to: d.to, depart: '', ret: '', pax: 1, cabin: 'economy', trip: 'round' };
    go('flights');
  }));
}

function renderHelp() {
  view().innerHTML = `<h1>Help</h1>
    <details id="faq-bags"><summary>How much luggage can I bring?</summary><p>Basic fares include a carry-on; other fares include checked bags.</p></details>
    <details id="faq-change"><summary>Can I change my flight?</summary><p>Flex fares can be changed for free. See the <a href="#/fare-rules" id="help-rules">fare rules</a>.</p></details>
    <h2>Excess baggage calculator</h2><form id="bag-calc" class="row" novalidate>
      <label for="bag-weight">Bag weight (kg)</label><input id="bag-weight" type="number" min="1" max="50">
      <button type="submit" id="bag-calc-go">Calculate</button><span id="bag-fee" aria-live="polite"></span></form>`;
  $('#bag-calc').addEventListener('submit', (e) => {
    e.preventDefault();
    const w = Number($('#bag-weight').value);
    let msg;
    if (!w || w < 0) msg = 'Enter a weight.';
    else if (w <= 23) msg = 'No excess fee.';
    else if (w <= 32) msg = `Excess fee: ${money(60)}`;
    else msg = 'Bags over 32 kg must be shipped as cargo.';
    $('#bag-fee').textContent = msg;
  });
}

function renderFareRules() {
  view().innerHTML = `<h1>Fare rules</h1><ol><li>Basic fares are non-refundable and cannot be changed.</li>
    <li>Standard fares may be changed for a fee of ${money(75)}.</li><li>Flex fares can be changed or refunded up to 24 hours before departure.</li>
    <li>Names cannot be changed after booking.</li></ol><p class="muted">Use the browser's back button to return.</p>`;
}

/* ---------- modals & globals ---------- */
function openModal(title, html, onMount) {
  const root = $('#modal-root');
  root.innerHTML = `<div class="overlay" id="modal-overlay"><div class="dialog" role="dialog" aria-modal="true" aria-label="${esc(title)}">
    <div class="row" style="justify-content:space-between"><h2>${esc(title)}</h2><button type="button" id="modal-close" aria-label="Close dialog">✕</button></div>${html}</div></div>`;
  $('#modal-close').addEventListener('click', closeModal);
  if (onMount) onMount(root);
}

function closeModal() { $('#modal-root').innerHTML = ''; }

function joinPromo() {
  const email = $('#promo-email').value.trim();
  if (!/^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(email)) { $('#promo-email-error').textContent = 'Please enter a valid email.'; return; }
  state.promoCode = 'WELCOME15';
  $('#promo-popup').classList.add('hidden');
  toast('Code WELCOME15 applied to your next flight');
  render();
}

function init() {
  $$('.mainnav button').forEach((b) => b.addEventListener('click', () => go(b.dataset.route)));
  $('#currency').addEventListener('change', (e) => { state.currency = e.target.value; render(); });
  $('#promo-join').addEventListener('click', joinPromo);
  $('#promo-email').addEventListener('keydown', (e) => { if (e.key === 'Enter') joinPromo(); });
  $('#promo-close').addEventListener('click', () => $('#promo-popup').classList.add('hidden'));
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeModal(); });
  window.addEventListener('hashchange', render);
  render();
}

init();

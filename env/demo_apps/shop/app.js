/* JAMEL Demo Shop - a small single-page e-commerce app for exploration tests.
 * All state lives in memory; reloading the page starts from scratch. */
'use strict';

const PRODUCTS = [
  { id: 1, name: 'Trail Running Shoes', cat: 'shoes', price: 89, old: 110, rating: 4.6, stock: 5, icon: '👟', sizes: ['40', '41', '42', '43'] },
  { id: 2, name: 'Leather Boots', cat: 'shoes', price: 149, rating: 4.2, stock: 0, icon: '🥾', sizes: ['41', '42', '44'] },
  { id: 3, name: 'Wool Sweater', cat: 'clothing', price: 64, rating: 4.8, stock: 12, icon: '🧶', sizes: ['S', 'M', 'L'] },
  { id: 4, name: 'Denim Jacket', cat: 'clothing', price: 79, old: 95, rating: 3.9, stock: 3, icon: '🧥', sizes: ['M', 'L', 'XL'] },
  { id: 5, name: 'Summer Dress', cat: 'clothing', price: 45, rating: 4.4, stock: 8, icon: '👗', sizes: ['XS', 'S', 'M'] },
  { id: 6, name: 'Wireless Headphones', cat: 'electronics', price: 129, rating: 4.5, stock: 7, icon: '🎧' },
  { id: 7, name: 'Smart Watch', cat: 'electronics', price: 199, old: 249, rating: 4.1, stock: 2, icon: '⌚' },
  { id: 8, name: 'Pocket Camera', cat: 'electronics', price: 329, rating: 4.7, stock: 0, icon: '📷' },
  { id: 9, name: 'Coffee Mug', cat: 'home', price: 12, rating: 4.9, stock: 40, icon: '☕' },
  { id: 10, name: 'Desk Lamp', cat: 'home', price: 39, rating: 4.0, stock: 9, icon: '💡' },
];
const COUPONS = { SAVE10: { kind: 'percent', value: 10 }, FREESHIP: { kind: 'shipping', value: 0 }, OLD5: { kind: 'expired', value: 5 } };
const SHIPPING = { standard: { label: 'Standard (5-7 days)', cost: 5 }, express: { label: 'Express (1-2 days)', cost: 15 }, pickup: { label: 'Store pickup', cost: 0 } };

const state = {
  cart: [], wishlist: new Set(), compare: new Set(), recent: [], orders: [], reviews: { 3: [{ who: 'Ana', stars: 5, text: 'Very warm and soft.' }] },
  filters: { q: '', cat: 'all', sort: 'featured', max: 400, inStock: false, page: 1 },
  coupon: null, shipping: 'standard', checkout: null, user: null, orderSeq: 1000, catalogVisits: 0, promoShown: false,
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const view = () => $('#view');
const money = (n) => '$' + n.toFixed(2);

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function toast(msg) {
  const t = $('#toast');
  t.textContent = msg;
  t.classList.remove('hidden');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.add('hidden'), 800);
}

function findProduct(id) {
  return PRODUCTS.find((p) => p.id === Number(id));
}

/* ---------- routing ---------- */
function go(route) {
  location.hash = '#/' + route;
}

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return { name: parts[0] || 'home', arg: parts[1] };
}

function render() {
  const { name, arg } = parseHash();
  document.body.classList.toggle('bare', name === 'terms');
  $$('.mainnav button').forEach((b) => b.classList.toggle('active', b.dataset.route === name));
  const routes = {
    home: renderHome, catalog: renderCatalog, product: () => renderProduct(arg), cart: renderCart,
    checkout: renderCheckout, payment: renderPayment, confirmation: () => renderConfirmation(arg),
    wishlist: renderWishlist, account: renderAccount, help: renderHelp, terms: renderTerms,
  };
  const fn = routes[name] || renderNotFound;
  if (name === 'catalog' && state.lastRoute !== 'catalog') state.catalogVisits += 1;
  state.lastRoute = name;
  fn();
  updateCartBadge();
}

function renderNotFound() {
  view().innerHTML = '<h1>Page not found</h1><p>That page does not exist.</p><button type="button" id="nf-home" class="primary">Back to home</button>';
  $('#nf-home').addEventListener('click', () => go('home'));
}

/* ---------- home ---------- */
function renderHome() {
  const deals = PRODUCTS.filter((p) => p.old);
  view().innerHTML = `
    <section class="hero-banner"><h1>Autumn sale: up to 20% off</h1>
      <p>Use code <strong>SAVE10</strong> at checkout for an extra 10%.</p>
      <button type="button" id="hero-shop">Shop now</button> <button type="button" id="hero-deal">Today's deal</button></section>
    <h2>Deals</h2><div class="grid">${deals.map(productCard).join('')}</div>
    ${state.recent.length ? `<h2>Recently viewed</h2><ul id="recent-list">${state.recent.map((id) => `<li><a href="#/product/${id}" id="recent-${id}">${esc(findProduct(id).name)}</a></li>`).join('')}</ul>` : ''}
    <h2>Newsletter</h2>
    <form id="newsletter-form" class="row" novalidate>
      <label for="newsletter-email">Email</label><input id="newsletter-email" type="email" placeholder="you@example.com">
      <button type="submit" id="newsletter-submit">Subscribe</button><span id="newsletter-msg" class="error"></span>
    </form>`;
  $('#hero-shop').addEventListener('click', () => go('catalog'));
  $('#hero-deal').addEventListener('click', openDealModal);
  $('#newsletter-form').addEventListener('submit', onNewsletter);
  bindCards();
}

function onNewsletter(ev) {
  ev.preventDefault();
  const email = $('#newsletter-email').value.trim();
  const msg = $('#newsletter-msg');
  if (!email) { msg.textContent = 'Please enter an email address.'; msg.className = 'error'; return; }
  if (!isEmail(email)) { msg.textContent = 'That email looks invalid.'; msg.className = 'error'; return; }
  msg.textContent = 'Thanks! Check your inbox for a welcome code.';
  msg.className = 'ok';
}

function isEmail(s) {
  return /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(s);
}

function openDealModal() {
  const p = findProduct(7);
  openModal('Deal of the day', `<p>${p.icon} <strong>${esc(p.name)}</strong> for only ${money(p.price)} (was ${money(p.old)}).</p>
    <button type="button" id="deal-view" class="primary">View product</button>`, (root) => {
    $('#deal-view', root).addEventListener('click', () => { closeModal(); go('product/7'); });
  });
}

/* ---------- catalog ---------- */
function productCard(p) {
  const fav = state.wishlist.has(p.id);
  return `<article class="card" data-id="${p.id}">
    <div class="thumb" aria-hidden="true">${p.icon}</div>
    <h3><a href="#/product/${p.id}" id="product-link-${p.id}" class="plink" data-id="${p.id}">${esc(p.name)}</a></h3>
    <div><span class="price">${money(p.price)}</span>${p.old ? `<span class="old">${money(p.old)}</span>` : ''}</div>
    <div class="muted">★ ${p.rating} · ${p.stock > 0 ? p.stock + ' in stock' : 'Out of stock'}</div>
    <div class="row">
      <button type="button" id="fav-${p.id}" class="fav" data-id="${p.id}" aria-label="${fav ? 'Remove from' : 'Add to'} wishlist" aria-pressed="${fav}">${fav ? '♥' : '♡'}</button>
      <label><input type="checkbox" id="cmp-${p.id}" class="cmp" data-id="${p.id}" ${state.compare.has(p.id) ? 'checked' : ''}> Compare</label>
    </div></article>`;
}

function bindCards() {
  $$('.fav').forEach((b) => b.addEventListener('click', () => toggleWishlist(Number(b.dataset.id))));
  $$('.cmp').forEach((c) => c.addEventListener('change', () => toggleCompare(Number(c.dataset.id), c.checked)));
  $$('.plink').forEach((a) => {
    a.addEventListener('mouseenter', () => showPreview(a));
    a.addEventListener('mouseleave', hidePreview);
  });
}

function showPreview(anchor) {
  const p = findProduct(anchor.dataset.id);
  const tip = $('#tooltip');
  const r = anchor.getBoundingClientRect();
  tip.textContent = `${p.name}: ${p.stock > 0 ? 'ships tomorrow' : 'currently unavailable'}${p.sizes ? ' · sizes ' + p.sizes.join('/') : ''}`;
  tip.style.left = r.left + 'px';
  tip.style.top = (r.bottom + 6) + 'px';
  tip.classList.remove('hidden');
}

function hidePreview() {
  $('#tooltip').classList.add('hidden');
}

function toggleWishlist(id) {
  if (state.wishlist.has(id)) { state.wishlist.delete(id); toast('Removed from wishlist'); } else { state.wishlist.add(id); toast('Saved to wishlist'); }
  render();
}

function toggleCompare(id, on) {
  if (on && state.compare.size >= 3) { toast('You can compare at most 3 products'); render(); return; }
  if (on) state.compare.add(id); else state.compare.delete(id);
  const btn = $('#compare-open');
  if (btn) btn.disabled = state.compare.size < 2;
}

function filteredProducts() {
  const f = state.filters;
  let list = PRODUCTS.filter((p) => p.price <= f.max);
  if (f.cat !== 'all') list = list.filter((p) => p.cat === f.cat);
  if (f.inStock) list = list.filter((p) => p.stock > 0);
  if (f.q) {
    const q = f.q.toLowerCase();
    list = list.filter((p) => p.name.toLowerCase().includes(q) || p.cat.includes(q));
  }
  const sorters = {
    'price-asc': (a, b) => a.price - b.price,
    'price-desc': (a, b) => b.price - a.price,
    rating: (a, b) => b.rating - a.rating,
    name: (a, b) => a.name.localeCompare(b.name),
  };
  if (sorters[f.sort]) list = list.slice().sort(sorters[f.sort]);
  return list;
}

function renderCatalog() {
  const f = state.filters;
  const all = filteredProducts();
  const perPage = 8;
  const shown = all.slice(0, perPage * f.page);
  view().innerHTML = `<h1>Catalog</h1>
    <div class="toolbar">
      <label for="search">Search</label><input id="search" type="search" value="${esc(f.q)}" placeholder="Search products (press Enter)">
      <button type="button" id="search-clear" aria-label="Clear search">✕</button>
      <label for="filter-cat">Category</label>
      <select id="filter-cat">${['all', 'shoes', 'clothing', 'electronics', 'home'].map((c) => `<option value="${c}" ${c === f.cat ? 'selected' : ''}>${c}</option>`).join('')}</select>
      <label for="sort">Sort</label>
      <select id="sort">${[['featured', 'Featured'], ['price-asc', 'Price: low to high'], ['price-desc', 'Price: high to low'], ['rating', 'Top rated'], ['name', 'Name A-Z']].map(([v, l]) => `<option value="${v}" ${v === f.sort ? 'selected' : ''}>${l}</option>`).join('')}</select>
      <label for="max-price">Max price</label><input id="max-price" type="number" min="0" step="10" value="${f.max}" style="width:80px">
      <label><input type="checkbox" id="in-stock" ${f.inStock ? 'checked' : ''}> In stock only</label>
      <button type="button" id="compare-open" ${state.compare.size < 2 ? 'disabled' : ''}>Compare selected</button>
    </div>
    <p class="muted" id="result-count">${all.length} product(s)${f.q ? ` matching “${esc(f.q)}”` : ''}</p>
    ${all.length === 0 ? '<p id="no-results">No products match your filters. <button type="button" class="link" id="reset-filters">Reset filters</button></p>' : ''}
    <div class="grid">${shown.map(productCard).join('')}</div>
    ${shown.length < all.length ? '<div class="row"><button type="button" id="load-more">Load more</button></div>' : ''}`;
  $('#search').addEventListener('keydown', (e) => { if (e.key === 'Enter') { f.q = e.target.value.trim(); f.page = 1; render(); } });
  $('#search-clear').addEventListener('click', () => { f.q = ''; render(); });
  $('#filter-cat').addEventListener('change', (e) => { f.cat = e.target.value; f.page = 1; render(); });
  $('#sort').addEventListener('change', (e) => { f.sort = e.target.value; render(); });
  $('#max-price').addEventListener('change', (e) => { const v = Number(e.target.value); f.max = Number.isFinite(v) && v > 0 ? v : 400; render(); });
  $('#in-stock').addEventListener('change', (e) => { f.inStock = e.target.checked; render(); });
  $('#compare-open').addEventListener('click', openCompareModal);
  const more = $('#load-more');
  if (more) more.addEventListener('click', () => { f.page += 1; render(); });
  const reset = $('#reset-filters');
  if (reset) reset.addEventListener('click', resetFilters);
  bindCards();
  if (state.catalogVisits === 2 && !state.promoShown) showPromo();
}

function resetFilters() {
  state.filters = { q: '', cat: 'all', sort: 'featured', max: 400, inStock: false, page: 1 };
  render();
}

function showPromo() {
  state.promoShown = true;
  openModal('Welcome back!', `<p>Come back often? Get free shipping with code <strong>FREESHIP</strong>.</p>
    <button type="button" id="promo-copy" class="primary">Copy code</button>`, (root) => {
    $('#promo-copy', root).addEventListener('click', () => { state.promoCopied = true; closeModal(); toast('Code FREESHIP copied'); });
  });
}

function openCompareModal() {
  const items = [...state.compare].map(findProduct);
  const rows = [['Price', (p) => money(p.price)], ['Rating', (p) => p.rating], ['Category', (p) => p.cat], ['Stock', (p) => (p.stock ? p.stock : 'none')]];
  const cheapest = items.reduce((a, b) => (a.price <= b.price ? a : b));
  openModal('Compare products', `<table><tr><th></th>${items.map((p) => `<th>${esc(p.name)}</th>`).join('')}</tr>
    ${rows.map(([label, fn]) => `<tr><th>${label}</th>${items.map((p) => `<td>${fn(p)}</td>`).join('')}</tr>`).join('')}</table>
    <p>Best price: <strong>${esc(cheapest.name)}</strong></p>
    <button type="button" id="compare-clear">Clear comparison</button>`, (root) => {
    $('#compare-clear', root).addEventListener('click', () => { state.compare.clear(); closeModal(); render(); });
  });
}

/* ---------- product detail ---------- */
function renderProduct(arg) {
  const p = findProduct(arg);
  if (!p) { renderNotFound(); return; }
  state.recent = [p.id, ...state.recent.filter((x) => x !== p.id)].slice(0, 4);
  const reviews = state.reviews[p.id] || [];
  view().innerHTML = `<p><a href="#/catalog" id="back-catalog">← Back to catalog</a></p>
    <div class="detail"><div class="hero" id="hero-img" title="Double-click to zoom">${p.icon}</div><div>
      <h1>${esc(p.name)}</h1>
      <p><span class="price">${money(p.price)}</span>${p.old ? `<span class="old">${money(p.old)}</span> <strong class="ok">Save ${Math.round(100 - (p.price / p.old) * 100)}%</strong>` : ''}</p>
      <p class="muted">★ ${p.rating} · ${reviews.length} review(s) · ${p.stock > 0 ? (p.stock < 4 ? `Only ${p.stock} left!` : 'In stock') : 'Out of stock'}</p>
      ${p.sizes ? `<div class="field"><label for="size">Size</label><select id="size"><option value="">Choose a size</option>${p.sizes.map((s) => `<option>${s}</option>`).join('')}</select><span class="error" id="size-error"></span></div>` : ''}
      <div class="field"><label for="qty">Quantity</label><select id="qty">${[1, 2, 3, 4, 5].map((n) => `<option>${n}</option>`).join('')}</select></div>
      <div class="row">
        ${p.stock > 0 ? '<button type="button" id="add-to-cart" class="primary">Add to cart</button>' : '<button type="button" id="notify-me">Notify me when available</button>'}
        <button type="button" id="detail-fav">${state.wishlist.has(p.id) ? 'Remove from wishlist' : 'Add to wishlist'}</button>
        <button type="button" id="size-guide">Size guide</button>
      </div>
      <h2>Reviews</h2>
      <ul id="review-list">${reviews.map((r) => `<li><strong>${esc(r.who)}</strong> ${'★'.repeat(r.stars)} — ${esc(r.text)}</li>`).join('') || '<li class="muted">No reviews yet.</li>'}</ul>
      <form id="review-form" novalidate>
        <div class="field"><label for="review-name">Your name</label><input id="review-name"><span class="error" id="review-name-error"></span></div>
        <div class="field"><label for="review-stars">Rating</label><select id="review-stars"><option value="">Select…</option>${[5, 4, 3, 2, 1].map((n) => `<option value="${n}">${n} stars</option>`).join('')}</select><span class="error" id="review-stars-error"></span></div>
        <div class="field"><label for="review-text">Review</label><textarea id="review-text" rows="3"></textarea><span class="error" id="review-text-error"></span></div>
        <button type="submit" id="review-submit">Post review</button>
      </form></div></div>`;
  const add = $('#add-to-cart');
  if (add) add.addEventListener('click', () => addToCart(p));
  const notify = $('#notify-me');
  if (notify) notify.addEventListener('click', () => { notify.disabled = true; notify.textContent = 'We will email you'; });
  $('#detail-fav').addEventListener('click', () => toggleWishlist(p.id));
  $('#size-guide').addEventListener('click', () => openModal('Size guide', p.sizes ? `<p>Available sizes: ${p.sizes.join(', ')}. Sizes run true to fit.</p>` : '<p>This product is one size.</p>'));
  $('#hero-img').addEventListener('dblclick', () => openModal('Zoomed image', `<div style="font-size:220px;text-align:center">${p.icon}</div>`));
  $('#review-form').addEventListener('submit', (e) => { e.preventDefault(); submitReview(p); });
}

function addToCart(p) {
  const sizeSel = $('#size');
  const size = sizeSel ? sizeSel.value : null;
  if (sizeSel && !size) { $('#size-error').textContent = 'Please choose a size first.'; return; }
  const qty = Number($('#qty').value);
  const line = state.cart.find((l) => l.id === p.id && l.size === size);
  const already = line ? line.qty : 0;
  if (already + qty > p.stock) { toast(`Sorry, only ${p.stock} available`); return; }
  if (line) line.qty += qty; else state.cart.push({ id: p.id, size, qty, gift: false });
  updateCartBadge();
  openModal('Added to cart', `<p>${p.icon} ${esc(p.name)}${size ? ' (size ' + size + ')' : ''} × ${qty}</p>
    <div class="row"><button type="button" id="added-continue">Continue shopping</button><button type="button" id="added-cart" class="primary">Go to cart</button></div>`, (root) => {
    $('#added-continue', root).addEventListener('click', closeModal);
    $('#added-cart', root).addEventListener('click', () => { closeModal(); go('cart'); });
  });
}

function submitReview(p) {
  const name = $('#review-name').value.trim();
  const stars = $('#review-stars').value;
  const text = $('#review-text').value.trim();
  const errs = { name: '', stars: '', text: '' };
  if (!name) errs.name = 'Name is required.';
  if (!stars) errs.stars = 'Pick a rating.';
  if (text.length < 10) errs.text = 'Please write at least 10 characters.';
  else if (/http|www\./i.test(text)) errs.text = 'Links are not allowed in reviews.';
  $('#review-name-error').textContent = errs.name;
  $('#review-stars-error').textContent = errs.stars;
  $('#review-text-error').textContent = errs.text;
  if (errs.name || errs.stars || errs.text) return;
  (state.reviews[p.id] = state.reviews[p.id] || []).push({ who: name, stars: Number(stars), text });
  toast('Review posted');
  render();
}

/* ---------- cart ---------- */
function cartTotals() {
  const subtotal = state.cart.reduce((s, l) => s + findProduct(l.id).price * l.qty, 0);
  const gift = state.cart.filter((l) => l.gift).length * 3;
  let discount = 0;
  let ship = SHIPPING[state.shipping].cost;
  if (state.coupon && state.coupon.kind === 'percent') discount = subtotal * state.coupon.value / 100;
  if (state.coupon && state.coupon.kind === 'shipping') ship = 0;
  if (subtotal >= 150 && state.shipping === 'standard') ship = 0;
  return { subtotal, discount, ship, gift, total: Math.max(0, subtotal - discount + ship + gift) };
}

function updateCartBadge() {
  $('#cart-count').textContent = String(state.cart.reduce((s, l) => s + l.qty, 0));
}

function renderCart() {
  if (state.cart.length === 0) {
    view().innerHTML = '<h1>Your cart</h1><p id="cart-empty">Your cart is empty.</p><button type="button" id="cart-browse" class="primary">Browse products</button>';
    $('#cart-browse').addEventListener('click', () => go('catalog'));
    return;
  }
  const t = cartTotals();
  view().innerHTML = `<h1>Your cart</h1><table><tr><th>Item</th><th>Qty</th><th>Gift wrap</th><th>Price</th><th></th></tr>
    ${state.cart.map((l, i) => { const p = findProduct(l.id); return `<tr><td>${p.icon} ${esc(p.name)}${l.size ? ' · ' + l.size : ''}</td>
      <td><button type="button" id="dec-${i}" class="dec" data-i="${i}" aria-label="Decrease quantity">−</button> <span id="qty-${i}">${l.qty}</span> <button type="button" id="inc-${i}" class="inc" data-i="${i}" aria-label="Increase quantity">+</button></td>
      <td><input type="checkbox" id="gift-${i}" class="gift" data-i="${i}" aria-label="Gift wrap ${esc(p.name)}" ${l.gift ? 'checked' : ''}></td>
      <td>${money(p.price * l.qty)}</td><td><button type="button" id="remove-${i}" class="remove" data-i="${i}">Remove</button></td></tr>`; }).join('')}</table>
    <div class="row"><label for="coupon">Coupon</label><input id="coupon" value="${state.coupon ? esc(state.coupon.code) : ''}"><button type="button" id="coupon-apply">Apply</button><span id="coupon-msg"></span></div>
    <div class="row"><label for="shipping">Shipping</label><select id="shipping">${Object.entries(SHIPPING).map(([k, s]) => `<option value="${k}" ${k === state.shipping ? 'selected' : ''}>${s.label} — ${money(s.cost)}</option>`).join('')}</select></div>
    <p id="totals">Subtotal ${money(t.subtotal)} · Discount −${money(t.discount)} · Shipping ${money(t.ship)}${t.gift ? ' · Gift wrap ' + money(t.gift) : ''} · <strong>Total ${money(t.total)}</strong></p>
    ${t.subtotal < 150 ? `<p class="muted">Add ${money(150 - t.subtotal)} more for free standard shipping.</p>` : '<p class="ok">You qualify for free standard shipping!</p>'}
    <div class="row"><button type="button" id="cart-clear">Empty cart</button><button type="button" id="to-checkout" class="primary">Proceed to checkout</button></div>`;
  $$('.inc').forEach((b) => b.addEventListener('click', () => changeQty(Number(b.dataset.i), 1)));
  $$('.dec').forEach((b) => b.addEventListener('click', () => changeQty(Number(b.dataset.i), -1)));
  $$('.remove').forEach((b) => b.addEventListener('click', () => { state.cart.splice(Number(b.dataset.i), 1); render(); }));
  $$('.gift').forEach((c) => c.addEventListener('change', () => { state.cart[Number(c.dataset.i)].gift = c.checked; render(); }));
  $('#coupon-apply').addEventListener('click', applyCoupon);
  $('#coupon').addEventListener('keydown', (e) => { if (e.key === 'Enter') applyCoupon(); });
  $('#shipping').addEventListener('change', (e) => { state.shipping = e.target.value; render(); });
  $('#cart-clear').addEventListener('click', () => confirmDialog('Empty the cart?', () => { state.cart = []; state.coupon = null; render(); }));
  $('#to-checkout').addEventListener('click', () => go('checkout'));
}

function changeQty(i, delta) {
  const line = state.cart[i];
  const p = findProduct(line.id);
  const next = line.qty + delta;
  if (next <= 0) { state.cart.splice(i, 1); } else if (next > p.stock) { toast('No more stock available'); return; } else { line.qty = next; }
  render();
}

function applyCoupon() {
  const code = $('#coupon').value.trim().toUpperCase();
  const msg = $('#coupon-msg');
  const c = COUPONS[code];
  if (!code) { msg.textContent = 'Enter a code first.'; msg.className = 'error'; return; }
  if (!c) { msg.textContent = 'Unknown coupon code.'; msg.className = 'error'; return; }
  if (c.kind === 'expired') { msg.textContent = 'This coupon has expired.'; msg.className = 'error'; return; }
  state.coupon = { code, ...c };
  render();
  $('#coupon-msg').textContent = `Coupon ${code} applied.`;
  $('#coupon-msg').className = 'ok';
}

/* ---------- checkout ---------- */
function steps(active) {
  return `<div class="steps">${['Cart', 'Shipping', 'Payment', 'Done'].map((s, i) => `<span class="${i === active ? 'on' : ''}">${i + 1}. ${s}</span>`).join('')}</div>`;
}

function renderCheckout() {
  if (state.cart.length === 0) { go('cart'); return; }
  const c = state.checkout || { name: state.user ? state.user.name : '', email: state.user ? state.user.email : '', address: '', city: '', zip: '', country: 'US' };
  view().innerHTML = `${steps(1)}<h1>Shipping details</h1><form id="checkout-form" novalidate><div class="form-grid">
    ${field('ck-name', 'Full name', c.name)}${field('ck-email', 'Email', c.email, 'email')}
    ${field('ck-address', 'Street address', c.address)}${field('ck-city', 'City', c.city)}
    <div class="field"><label for="ck-country">Country</label><select id="ck-country">${[['US', 'United States'], ['DE', 'Germany'], ['GB', 'United Kingdom']].map(([v, l]) => `<option value="${v}" ${v === c.country ? 'selected' : ''}>${l}</option>`).join('')}</select></div>
    ${field('ck-zip', 'Postal code', c.zip)}</div>
    <label><input type="checkbox" id="ck-terms"> I accept the <a href="#/terms" id="terms-link">terms and conditions</a></label><div class="error" id="ck-terms-error"></div>
    <div class="row"><button type="button" id="ck-back">Back to cart</button><button type="submit" id="ck-continue" class="primary">Continue to payment</button></div></form>`;
  $('#ck-back').addEventListener('click', () => go('cart'));
  $('#checkout-form').addEventListener('submit', (e) => { e.preventDefault(); submitCheckout(); });
}

function field(id, label, value, type = 'text') {
  return `<div class="field"><label for="${id}">${label}</label><input id="${id}" type="${type}" value="${esc(value || '')}"><span class="error" id="${id}-error"></span></div>`;
}

function zipValid(country, zip) {
  const patterns = { US: /^\d{5}$/, DE: /^\d{5}$/, GB: /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i };
  return patterns[country].test(zip);
}

function submitCheckout() {
  const v = (id) => $('#' + id).value.trim();
  const data = { name: v('ck-name'), email: v('ck-email'), address: v('ck-address'), city: v('ck-city'), zip: v('ck-zip'), country: $('#ck-country').value };
  const errs = {};
  if (data.name.split(/\s+/).filter(Boolean).length < 2) errs['ck-name'] = 'Enter first and last name.';
  if (!isEmail(data.email)) errs['ck-email'] = 'Enter a valid email.';
  if (data.address.length < 5) errs['ck-address'] = 'Address is too short.';
  if (!data.city) errs['ck-city'] = 'City is required.';
  if (!zipValid(data.country, data.zip)) errs['ck-zip'] = data.country === 'GB' ? 'Use a UK postcode like SW1A 1AA.' : 'Postal code must be 5 digits.';
  ['ck-name', 'ck-email', 'ck-address', 'ck-city', 'ck-zip'].forEach((id) => { $('#' + id + '-error').textContent = errs[id] || ''; });
  $('#ck-terms-error').textContent = $('#ck-terms').checked ? '' : 'You must accept the terms.';
  if (Object.keys(errs).length || !$('#ck-terms').checked) return;
  state.checkout = data;
  go('payment');
}

function cardBrand(num) {
  if (/^4/.test(num)) return 'Visa';
  if (/^5[1-5]/.test(num)) return 'Mastercard';
  if (/^3[47]/.test(num)) return 'Amex';
  return '';
}

function luhn(num) {
  let sum = 0;
  for (let i = 0; i < num.length; i++) {
    let d = Number(num[num.length - 1 - i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return num.length >= 13 && sum % 10 === 0;
}

function renderPayment() {
  if (!state.checkout) { go(state.cart.length ? 'checkout' : 'cart'); return; }
  const t = cartTotals();
  view().innerHTML = `${steps(2)}<h1>Payment</h1><p>Shipping to ${esc(state.checkout.name)}, ${esc(state.checkout.city)}. <button type="button" class="link" id="pay-edit-address">Edit</button></p>
    <form id="payment-form" novalidate>
      <fieldset><legend>Method</legend>
        <label><input type="radio" name="method" id="pm-card" value="card" checked> Credit card</label>
        <label><input type="radio" name="method" id="pm-invoice" value="invoice"> Invoice</label></fieldset>
      <div id="card-fields">
        <div class="field"><label for="card-number">Card number</label><input id="card-number" inputmode="numeric" placeholder="4111 1111 1111 1111"><span id="card-brand" class="muted"></span><span class="error" id="card-number-error"></span></div>
        ${field('card-expiry', 'Expiry (MM/YY)', '')}${field('card-cvv', 'CVV', '')}
      </div>
      <p><strong>Total to pay: ${money(t.total)}</strong></p>
      <button type="submit" id="pay-now" class="primary">Place order</button><span id="pay-status" class="muted"></span></form>`;
  $('#pay-edit-address').addEventListener('click', () => go('checkout'));
  $('#pm-card').addEventListener('change', () => $('#card-fields').classList.remove('hidden'));
  $('#pm-invoice').addEventListener('change', () => $('#card-fields').classList.add('hidden'));
  $('#card-number').addEventListener('input', (e) => { $('#card-brand').textContent = cardBrand(e.target.value.replace(/\D/g, '')); });
  $('#payment-form').addEventListener('submit', (e) => { e.preventDefault(); submitPayment(); });
}

function submitPayment() {
  const invoice = $('#pm-invoice').checked;
  if (!invoice) {
    const num = $('#card-number').value.replace(/\s/g, '');
    const exp = $('#card-expiry').value.trim();
    const cvv = $('#card-cvv').value.trim();
    const errs = { 'card-number': '', 'card-expiry': '', 'card-cvv': '' };
    if (!/^\d+$/.test(num)) errs['card-number'] = 'Card number must contain digits only.';
    else if (!luhn(num)) errs['card-number'] = 'Card number is not valid.';
    const m = /^(\d{2})\/(\d{2})$/.exec(exp);
    if (!m) errs['card-expiry'] = 'Use the format MM/YY.';
    else if (Number(m[1]) < 1 || Number(m[1]) > 12) errs['card-expiry'] = 'Month must be 01-12.';
    else if (Number(m[2]) < 25) errs['card-expiry'] = 'This card has expired.';
    const cvvLen = cardBrand(num) === 'Amex' ? 4 : 3;
    if (!new RegExp(`^\\d{${cvvLen}}$`).test(cvv)) errs['card-cvv'] = `CVV must be ${cvvLen} digits.`;
    Object.entries(errs).forEach(([id, msg]) => { $('#' + id + '-error').textContent = msg; });
    if (Object.values(errs).some(Boolean)) return;
    if (num.endsWith('0002')) { $('#pay-status').textContent = 'Payment declined by bank. Try another card.'; return; }
  }
  $('#pay-now').disabled = true;
  $('#pay-status').textContent = 'Processing…';
  setTimeout(completeOrder, 500);
}

function completeOrder() {
  const t = cartTotals();
  state.orderSeq += 1;
  const order = { id: state.orderSeq, items: state.cart.map((l) => ({ ...l })), total: t.total, to: state.checkout.name, status: 'Processing' };
  state.orders.unshift(order);
  state.cart = [];
  state.coupon = null;
  state.checkout = null;
  go('confirmation/' + order.id);
}

function renderConfirmation(arg) {
  const order = state.orders.find((o) => o.id === Number(arg));
  if (!order) { renderNotFound(); return; }
  view().innerHTML = `${steps(3)}<h1>Thank you for your order!</h1><p id="order-number">Order #${order.id} — total ${money(order.total)}.</p>
    <p>A confirmation email is on its way to ${esc(order.to)}.</p>
    <div class="row"><button type="button" id="conf-orders">View my orders</button><button type="button" id="conf-continue" class="primary">Continue shopping</button></div>`;
  $('#conf-orders').addEventListener('click', () => go('account'));
  $('#conf-continue').addEventListener('click', () => go('catalog'));
}

/* ---------- wishlist, account, help, terms ---------- */
function renderWishlist() {
  const items = [...state.wishlist].map(findProduct);
  view().innerHTML = `<h1>Wishlist</h1>${items.length ? `<div class="grid">${items.map(productCard).join('')}</div>
    <button type="button" id="wish-share">Share wishlist</button>` : '<p id="wish-empty">No saved items yet. Tap ♡ on a product to save it.</p>'}`;
  bindCards();
  const share = $('#wish-share');
  if (share) share.addEventListener('click', () => openModal('Share wishlist', `<p>Share link: <code>shop.example/wish/${items.map((p) => p.id).join('-')}</code></p>`));
}

function renderAccount() {
  if (!state.user) {
    view().innerHTML = `<h1>Sign in</h1><form id="login-form" novalidate>
      ${field('login-email', 'Email', '', 'email')}${field('login-password', 'Password', '', 'password')}
      <div class="row"><button type="submit" id="login-submit" class="primary">Sign in</button><button type="button" id="forgot" class="link">Forgot password?</button></div>
      <p class="error" id="login-error"></p></form><p class="muted">Demo account: demo@shop.test / shop1234</p>`;
    $('#login-form').addEventListener('submit', (e) => { e.preventDefault(); doLogin(); });
    $('#forgot').addEventListener('click', () => openModal('Reset password', '<p>A reset link would be emailed to you. (Demo only.)</p>'));
    return;
  }
  view().innerHTML = `<h1>Hello, ${esc(state.user.name)}</h1><button type="button" id="logout">Sign out</button>
    <h2>Your orders</h2>${state.orders.length ? `<table id="orders"><tr><th>Order</th><th>Items</th><th>Total</th><th>Status</th><th></th></tr>
    ${state.orders.map((o) => `<tr><td>#${o.id}</td><td>${o.items.length}</td><td>${money(o.total)}</td><td id="status-${o.id}">${o.status}</td>
      <td>${o.status === 'Processing' ? `<button type="button" id="cancel-${o.id}" class="cancel" data-id="${o.id}">Cancel</button>` : ''}</td></tr>`).join('')}</table>` : '<p id="no-orders">No orders yet.</p>'}`;
  $('#logout').addEventListener('click', () => { state.user = null; toast('Signed out'); render(); });
  $$('.cancel').forEach((b) => b.addEventListener('click', () => confirmDialog(`Cancel order #${b.dataset.id}?`, () => {
    state.orders.find((o) => o.id === Number(b.dataset.id)).status = 'Cancelled';
    render();
  })));
}

function doLogin() {
  const email = $('#login-email').value.trim();
  const pw = $('#login-password').value;
  $('#login-email-error').textContent = isEmail(email) ? '' : 'Enter a valid email.';
  $('#login-password-error').textContent = pw ? '' : 'Password is required.';
  if (!isEmail(email) || !pw) return;
  state.loginFails = state.loginFails || 0;
  if (email !== 'demo@shop.test' || pw !== 'shop1234') {
    state.loginFails += 1;
    $('#login-error').textContent = state.loginFails >= 3 ? 'Too many attempts. Use “Forgot password?”.' : 'Wrong email or password.';
    return;
  }
  state.user = { name: 'Demo Shopper', email };
  toast('Welcome back!');
  render();
}

function renderHelp() {
  const faqs = [['How long does shipping take?', 'Standard shipping takes 5-7 business days; express 1-2.'], ['Can I return items?', 'Yes, within 30 days of delivery.'], ['Which cards do you accept?', 'Visa, Mastercard and Amex.']];
  view().innerHTML = `<h1>Help centre</h1>${faqs.map(([q, a], i) => `<details id="faq-${i}"><summary>${q}</summary><p>${a}</p></details>`).join('')}
    <h2>Contact us</h2><form id="contact-form" novalidate>
      <div class="field"><label for="contact-topic">Topic</label><select id="contact-topic"><option value="">Choose…</option><option value="order">Order problem</option><option value="return">Return</option><option value="other">Other</option></select><span class="error" id="contact-topic-error"></span></div>
      <div class="field hidden" id="order-no-field"><label for="contact-order">Order number</label><input id="contact-order"><span class="error" id="contact-order-error"></span></div>
      <div class="field"><label for="contact-msg">Message</label><textarea id="contact-msg" rows="3"></textarea><span class="error" id="contact-msg-error"></span></div>
      <button type="submit" id="contact-send">Send</button><p id="contact-result"></p></form>
    <p><a href="#/terms" id="help-terms">Terms and conditions</a></p>`;
  $('#contact-topic').addEventListener('change', (e) => $('#order-no-field').classList.toggle('hidden', e.target.value !== 'order'));
  $('#contact-form').addEventListener('submit', (e) => { e.preventDefault(); submitContact(); });
}

function submitContact() {
  const topic = $('#contact-topic').value;
  const msg = $('#contact-msg').value.trim();
  const order = $('#contact-order').value.trim();
  let ok = true;
  $('#contact-topic-error').textContent = topic ? '' : 'Choose a topic.';
  if (!topic) ok = false;
  if (topic === 'order' && !/^#?\d{4}$/.test(order)) { $('#contact-order-error').textContent = 'Order numbers have 4 digits.'; ok = false; } else { $('#contact-order-error').textContent = ''; }
  $('#contact-msg-error').textContent = msg.length >= 5 ? '' : 'Message is too short.';
  if (msg.length < 5) ok = false;
  if (ok) { $('#contact-result').textContent = 'Thanks — our team will reply within 24 hours.'; $('#contact-form').reset(); }
}

function renderTerms() {
  view().innerHTML = `<h1>Terms and conditions</h1>
    <p>1. These are demo terms. Nothing is really sold.</p><p>2. Prices are fictional and may change at any time.</p>
    <p>3. Returns are accepted within 30 days.</p><p class="muted">Use your browser's back button to return.</p>`;
}

/* ---------- modals ---------- */
function openModal(title, html, onMount) {
  const root = $('#modal-root');
  root.innerHTML = `<div class="overlay" id="modal-overlay"><div class="dialog" role="dialog" aria-modal="true" aria-label="${esc(title)}">
    <div class="row" style="justify-content:space-between"><h2>${esc(title)}</h2><button type="button" id="modal-close" aria-label="Close dialog">✕</button></div>
    <div id="modal-body">${html}</div></div></div>`;
  $('#modal-close').addEventListener('click', closeModal);
  $('#modal-overlay').addEventListener('click', (e) => { if (e.target.id === 'modal-overlay') closeModal(); });
  if (onMount) onMount(root);
}

function closeModal() {
  $('#modal-root').innerHTML = '';
}

function confirmDialog(question, onYes) {
  openModal('Please confirm', `<p>${esc(question)}</p><div class="row"><button type="button" id="confirm-no">No</button><button type="button" id="confirm-yes" class="primary">Yes</button></div>`, (root) => {
    $('#confirm-no', root).addEventListener('click', closeModal);
    $('#confirm-yes', root).addEventListener('click', () => { closeModal(); onYes(); });
  });
}

/* ---------- global wiring ---------- */
function onKey(e) {
  if (e.key === 'Escape' && $('#modal-root').innerHTML) { closeModal(); return; }
  const typing = /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName);
  if (typing) return;
  if (e.key === '/') { e.preventDefault(); if (parseHash().name !== 'catalog') go('catalog'); setTimeout(() => $('#search') && $('#search').focus(), 0); }
  if (e.key === 'c') go('cart');
}

function dismissCookies(accepted) {
  state.cookies = { accepted, analytics: accepted && $('#cookie-analytics').checked };
  $('#cookie-banner').classList.add('hidden');
  toast(accepted ? 'Cookies accepted' : 'Only essential cookies');
}

function init() {
  $$('.mainnav button').forEach((b) => b.addEventListener('click', () => go(b.dataset.route)));
  $('#cookie-accept').addEventListener('click', () => dismissCookies(true));
  $('#cookie-reject').addEventListener('click', () => dismissCookies(false));
  window.addEventListener('hashchange', render);
  document.addEventListener('keydown', onKey);
  render();
}

init();

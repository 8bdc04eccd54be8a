// JAMEL session page: renders the steps of window.JAMEL_SESSION (set by data.js).
// Data is only ever put into the page as text (textContent), never as markup.
(function () {
  "use strict";
  const D = window.JAMEL_SESSION;
  const steps = D.steps;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const failed = (s) => !s.valid || !!s.error;
  const isReset = (s) => s.action.startsWith("reset");
  let filter = "all";
  let cur = 0;
  const items = [];

  function visible(s) {
    if (filter === "reward") return s.reward > 0;
    if (filter === "failed") return failed(s);
    return true;
  }

  // -- timeline --------------------------------------------------------------------------------------
  const tl = $("timeline");
  steps.forEach((s, i) => {
    if (i === 0 || s.episode !== steps[i - 1].episode) {
      tl.appendChild(el("div", "episode-sep", "episode " + s.episode));
    }
    const b = el("button", "tl-item");
    b.dataset.i = i;
    b.id = "tl-" + s.step;
    if (s.reward > 0) b.classList.add("rewarded");
    if (failed(s)) b.classList.add("failed");
    if (isReset(s)) b.classList.add("reset");
    if (s.thumb) {
      const img = el("img");
      img.loading = "lazy";
      img.alt = "step " + s.step;
      img.src = s.thumb;
      b.appendChild(img);
    }
    const cap = el("span", "cap");
    cap.appendChild(el("b", "", String(s.step)));
    cap.appendChild(document.createTextNode(" " + (s.action || "(no action)").slice(0, 40)));
    const marks = (s.reward > 0 ? " ★" : "") + (failed(s) ? " ✗" : "") + (isReset(s) ? " ↺" : "") +
      (s.browser_restarted ? " ⚡" : "");
    if (marks) cap.appendChild(el("span", "marks", marks));
    b.appendChild(cap);
    b.addEventListener("click", () => show(i));
    tl.appendChild(b);
    items.push(b);
  });

  // -- one step ---------------------------------------------------------------------------------------
  function setText(id, text) { $(id).textContent = text; }

  function renderCode(box, code, available) {
    box.textContent = "";
    if (!code) {
      box.appendChild(el("p", "muted", available ? "no coverage take for this step" :
        "no coverage takes recorded for this session" + (D.code_error ? " (" + D.code_error + ")" : "")));
      return;
    }
    if (!code.n_functions && !code.n_lines) {
      box.appendChild(el("p", "muted", "nothing ran for the first time at this step"));
      return;
    }
    if (code.functions.length) {
      const ul = el("ul", "fns");
      code.functions.forEach((f) => {
        const li = el("li", "fn");
        li.appendChild(el("code", "", f.name));
        li.appendChild(el("span", "muted", " " + f.url + ":" + f.line));
        ul.appendChild(li);
      });
      if (code.n_functions > code.functions.length) ul.appendChild(el("li", "muted", "… " + (code.n_functions - code.functions.length) + " more"));
      box.appendChild(ul);
    }
    if (code.lines.length) {
      const pre = el("pre", "lines");
      code.lines.forEach((l) => {
        const row = el("div", "line");
        row.appendChild(el("span", "ln", l.url + ":" + l.line));
        row.appendChild(el("span", "src", l.text));
        pre.appendChild(row);
      });
      if (code.n_lines > code.lines.length) pre.appendChild(el("div", "muted", "… " + (code.n_lines - code.lines.length) + " more lines"));
      box.appendChild(pre);
    }
  }

  function show(i) {
    if (i < 0 || i >= steps.length) return;
    cur = i;
    const s = steps[i];
    items.forEach((b) => b.classList.toggle("current", Number(b.dataset.i) === i));
    items[i].scrollIntoView({ block: "nearest" });
    if (location.hash !== "#step-" + s.step) history.replaceState(null, "", "#step-" + s.step);
    setText("step-title", "step " + s.step + " / " + steps.length + " · episode " + s.episode +
      " · episode step " + s.episode_step + " · screen " + s.screen);
    const flags = [];
    if (s.reward > 0) flags.push("rewarded");
    if (failed(s)) flags.push("failed");
    if (isReset(s)) flags.push("reset");
    if (s.browser_restarted) flags.push("browser restarted");
    setText("step-flags", flags.join(" · "));
    const img = $("shot");
    if (s.shot) { img.src = s.shot; img.hidden = false; } else { img.removeAttribute("src"); img.hidden = true; }
    const box = $("box");
    if (s.box && s.box.length === 4) {
      box.style.left = s.box[0] + "%";
      box.style.top = s.box[1] + "%";
      box.style.width = s.box[2] + "%";
      box.style.height = s.box[3] + "%";
      box.hidden = false;
    } else {
      box.hidden = true;
    }
    const b = s.box || [];
    const offscreen = b.length === 4 && (b[0] >= 100 || b[1] >= 100 || b[0] + b[2] <= 0 || b[1] + b[3] <= 0);
    setText("url", s.url + (offscreen ? "  (the target element was outside the visible screenshot)" : ""));
    setText("action", s.action || "(no action)");
    setText("canonical", s.action_canonical && s.action_canonical !== s.action ? "parsed: " + s.action_canonical : "");
    setText("valid", s.valid ? "yes" : "no");
    $("valid").className = s.valid ? "" : "bad";
    setText("error", s.error || "—");
    $("error").className = s.error ? "bad" : "muted";
    setText("reward", String(s.reward));
    $("reward").className = s.reward > 0 ? "good" : "";
    setText("coverage", s.coverage + " (Δ " + (s.coverage_delta >= 0 ? "+" : "") + s.coverage_delta + ")");
    const rows = $("delta").tBodies[0].rows;
    ["lines", "branches", "statements", "functions"].forEach((k, j) => {
      const c1 = rows[0].cells[j + 1] || rows[0].insertCell();
      const c2 = rows[1].cells[j + 1] || rows[1].insertCell();
      c1.textContent = String(s.counts[k]);
      c2.textContent = s.delta_kinds ? (s.delta_kinds[k] > 0 ? "+" : "") + s.delta_kinds[k] : "?";
      c2.className = s.delta_kinds && s.delta_kinds[k] > 0 ? "good" : "";
    });
    const t = s.tokens;
    setText("tokens", "text " + t.text_tokens + " · image " + t.image_tokens + " · memory " + t.memory_tokens);
    setText("timings", Object.entries(s.timings).map(([k, v]) => k.replace("_ms", "") + " " + v + " ms").join(" · "));
    renderCode($("newcode"), s.new_code, D.code_available);
    const code = s.new_code;
    setText("code-count", code ? "(" + code.n_functions + " functions, " + code.n_lines + " lines)" : "");
    setText("model-output", s.model_output);
    setText("observation", s.observation);
    document.querySelectorAll("#map .node").forEach((n) => n.classList.toggle("current", Number(n.dataset.screen) === s.screen));
  }

  function move(dir) {
    for (let i = cur + dir; i >= 0 && i < steps.length; i += dir) {
      if (visible(steps[i])) { show(i); return; }
    }
  }

  function applyFilter(value) {
    filter = value;
    items.forEach((b, i) => { b.hidden = !visible(steps[i]); });
    if (!visible(steps[cur])) {
      const first = steps.findIndex(visible);
      if (first >= 0) show(first);
    }
  }

  document.querySelectorAll('input[name="filter"]').forEach((r) => r.addEventListener("change", () => applyFilter(r.value)));
  $("prev").addEventListener("click", () => move(-1));
  $("next").addEventListener("click", () => move(1));
  document.addEventListener("keydown", (e) => {
    if (e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target.type !== "radio") return;
    if (e.key === "ArrowRight") { move(1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { move(-1); e.preventDefault(); }
  });
  document.querySelectorAll("#map [data-step]").forEach((n) => n.addEventListener("click", () => {
    const i = steps.findIndex((s) => s.step === Number(n.dataset.step));
    if (i >= 0) show(i);
  }));
  if ($("initial-code")) renderCode($("initial-code"), D.initial_code, D.code_available);

  const m = /^#step-(\d+)$/.exec(location.hash);
  const start = m ? steps.findIndex((s) => s.step === Number(m[1])) : 0;
  if (steps.length) show(start >= 0 ? start : 0);
  window.addEventListener("hashchange", () => {
    const h = /^#step-(\d+)$/.exec(location.hash);
    const i = h ? steps.findIndex((s) => s.step === Number(h[1])) : -1;
    if (i >= 0 && i !== cur) show(i);
  });
})();

// JAMEL run page: filter the sessions table by app name.
(function () {
  "use strict";
  const box = document.getElementById("app-filter");
  if (!box) return;
  box.addEventListener("input", () => {
    const q = box.value.trim().toLowerCase();
    document.querySelectorAll("#sessions tbody tr").forEach((tr) => {
      tr.hidden = q !== "" && !tr.dataset.app.toLowerCase().includes(q);
    });
  });
})();

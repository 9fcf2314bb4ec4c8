// worldbuilder viewer: tree filter/expand, on-demand LibreOffice page images, live run refresh. No build step.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const $$ = (sel) => Array.from(document.querySelectorAll(sel));

  const filter = $("#filter");
  if (filter) {
    filter.addEventListener("input", () => {
      const q = filter.value.toLowerCase();
      $$("tr.file").forEach((tr) => tr.classList.toggle("hidden", q !== "" && !tr.dataset.path.toLowerCase().includes(q)));
      if (q) $$("details.dir").forEach((d) => { d.open = true; });
    });
  }
  const setAll = (open) => () => $$("details.dir").forEach((d) => { d.open = open; });
  if ($("#expand")) $("#expand").addEventListener("click", setAll(true));
  if ($("#collapse")) $("#collapse").addEventListener("click", setAll(false));

  $$("button.render").forEach((b) => b.addEventListener("click", () => {
    b.disabled = true;
    b.textContent = "rendering…";
    const img = new Image();
    img.alt = "first page rendered by LibreOffice";
    img.onload = () => { $("#pageimage").replaceChildren(img); b.textContent = "rendered"; };
    img.onerror = () => { b.textContent = "page image unavailable"; };
    img.src = b.dataset.src;
  }));

  const snap = $("#snapdiff");
  if (snap) {
    snap.addEventListener("click", async () => {
      snap.disabled = true;
      snap.textContent = "listing snapshots…";
      const out = $("#snapdiffout");
      const r = await fetch(snap.dataset.url, { cache: "no-store" });
      const d = await r.json();
      snap.textContent = "snapshot diff";
      if (!d.available) { out.textContent = "snapshot diff unavailable: " + d.reason; return; }
      const ul = document.createElement("ul");
      ul.className = "changed";
      for (const [tag, key] of [["A", "added"], ["M", "changed"], ["D", "deleted"]]) {
        for (const p of d[key]) {
          const li = document.createElement("li");
          li.dataset.change = key;
          li.textContent = tag + "  " + p;
          ul.appendChild(li);
        }
      }
      out.replaceChildren(ul);
      if (!ul.children.length) out.textContent = "no file changed between the two snapshots";
    });
    snap.click();  // listings are cached per image: only the first visit of a day costs two short containers
  }

  const live = $("#live");
  if (live) {
    let last = null;
    const poll = async () => {
      try {
        const r = await fetch(live.dataset.url, { cache: "no-store" });
        if (!r.ok) return;
        const s = await r.json();
        const key = JSON.stringify(s);
        if (last !== null && key !== last) {
          const t = await fetch(live.dataset.days, { cache: "no-store" });
          if (t.ok) $("#daytable").innerHTML = await t.text();
        }
        last = key;
        if (s.status !== "running") { live.textContent = "run " + s.status + " (reload for judgement and report)"; return; }
      } catch (e) { /* server gone: try again later */ }
      setTimeout(poll, 3000);
    };
    poll();
  }
})();

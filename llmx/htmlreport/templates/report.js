/* llmx report: record <-> highlight links, filters, and a self-check of every span.
   No library, no network. Errors are written into #js-status so a headless browser run can
   read them from the DOM. */
(function () {
  "use strict";
  var status = document.getElementById("js-status");
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    status.setAttribute("data-state", "error");
    status.textContent = "JavaScript error: " + errors.join(" | ");
  }
  window.addEventListener("error", function (e) {
    fail(e.message + " (line " + e.lineno + ")");
  });

  var docs = {}; // article id -> {el, marks: {key: {a: [mark], e: [mark]}}}

  function indexDoc(article) {
    var entry = { el: article, marks: {} };
    var marks = article.querySelectorAll("mark.hl");
    for (var i = 0; i < marks.length; i++) {
      var m = marks[i];
      ["a", "e"].forEach(function (role) {
        var keys = m.getAttribute("data-" + role);
        if (!keys) return;
        keys.split(" ").forEach(function (key) {
          var slot = entry.marks[key] || (entry.marks[key] = { a: [], e: [] });
          slot[role].push(m);
        });
      });
    }
    docs[article.id] = entry;
    return entry;
  }

  function flash(elements, name) {
    name = name || "flash";
    elements.forEach(function (el) {
      el.classList.remove(name);
      void el.offsetWidth; // restart the animation
      el.classList.add(name);
    });
    setTimeout(function () {
      elements.forEach(function (el) { el.classList.remove(name); });
    }, 1700);
  }

  function goToEvidence(rec) {
    var article = rec.closest("article.doc");
    var entry = docs[article.id];
    var slot = entry && entry.marks[rec.getAttribute("data-key")];
    var targets = slot ? (slot.a.length ? slot.a : slot.e) : [];
    if (!targets.length) { flash([rec]); return; }
    targets[0].scrollIntoView({ block: "center", behavior: "smooth" });
    flash(slot.e.filter(function (m) { return slot.a.indexOf(m) < 0; }), "flash-e");
    flash(targets); // the anchor (or, without one, the evidence) outlined
  }

  function goToRecord(mark) {
    var article = mark.closest("article.doc");
    var keys = (mark.getAttribute("data-a") + " " + mark.getAttribute("data-e"))
      .split(" ").filter(function (k, i, all) { return k && all.indexOf(k) === i; });
    var recs = keys.map(function (k) { return document.getElementById(article.id + "_" + k); })
      .filter(function (r) { return r && !r.hidden; });
    if (!recs.length) return;
    var n = (parseInt(mark.getAttribute("data-next") || "0", 10)) % recs.length;
    mark.setAttribute("data-next", String(n + 1)); // a second click: the next record here
    recs[n].scrollIntoView({ block: "nearest", behavior: "smooth" });
    flash([recs[n]]);
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    var go = t.closest("a.go");
    if (go) { ev.preventDefault(); goToEvidence(go.closest("li.rec")); return; }
    if (t.closest("details, a, input, select, label")) {
      var link = t.closest("a.torec");
      if (link) {
        var rec = document.getElementById(link.getAttribute("data-rec"));
        if (rec) { ev.preventDefault(); rec.scrollIntoView({ block: "center" }); flash([rec]); goToEvidence(rec); }
      }
      return;
    }
    var mark = t.closest("mark.hl");
    if (mark && !mark.classList.contains("off")) { goToRecord(mark); return; }
    var rec2 = t.closest("li.rec");
    if (rec2) goToEvidence(rec2);
  });

  // -- a record's fields, drawn when first opened (kept as JSON: tables made pages large) ----
  var fieldData = {};
  document.addEventListener("toggle", function (ev) {
    var box = ev.target;
    if (!(box instanceof Element) || !box.open || box.hasAttribute("data-drawn")) return;
    var rec = box.closest("li.rec");
    if (!rec) return;
    var article = rec.closest("article.doc");
    if (!fieldData[article.id]) {
      var blob = article.querySelector("script.fields");
      fieldData[article.id] = blob ? JSON.parse(blob.textContent) : [];
    }
    var rows = fieldData[article.id][parseInt(rec.getAttribute("data-i"), 10)] || [];
    var table = document.createElement("table");
    table.className = "fields";
    rows.forEach(function (row) {
      var tr = table.insertRow(), th = document.createElement("th");
      th.textContent = row[0];
      tr.appendChild(th);
      tr.insertCell().textContent = row[1];
    });
    box.appendChild(table);
    box.setAttribute("data-drawn", "");
  }, true);

  // -- filters ------------------------------------------------------------------------------
  function checked(name) {
    var out = {};
    document.querySelectorAll('input[data-filter="' + name + '"]').forEach(function (box) {
      out[box.value] = box.checked;
    });
    return out;
  }
  function selected(name) {
    var el = document.querySelector('select[data-filter="' + name + '"]');
    return el ? el.value : "";
  }
  function applyFilters() {
    var kinds = checked("kind"), groundings = checked("grounding"), labels = checked("label");
    var st = selected("status"), tx = selected("text");
    document.querySelectorAll("table.index tbody tr").forEach(function (row) {
      var show = (!st || row.getAttribute("data-status") === st) && (!tx || row.getAttribute("data-text") === tx);
      row.hidden = !show;
    });
    Object.keys(docs).forEach(function (id) {
      var entry = docs[id], article = entry.el;
      var show = (!st || article.getAttribute("data-status") === st) && (!tx || article.getAttribute("data-text") === tx);
      article.classList.toggle("hidden-doc", !show);
      var visible = {};
      article.querySelectorAll("li.rec").forEach(function (rec) {
        var g = rec.getAttribute("data-g"), l = rec.getAttribute("data-label");
        var on = kinds[rec.getAttribute("data-kind")] !== false &&
          (groundings[g] !== false) && (labels[l] !== false);
        rec.hidden = !on;
        if (on) visible[rec.getAttribute("data-key")] = true;
      });
      article.querySelectorAll("mark.hl").forEach(function (m) {
        var keys = (m.getAttribute("data-a") + " " + m.getAttribute("data-e")).split(" ");
        m.classList.toggle("off", !keys.some(function (k) { return visible[k]; }));
      });
    });
  }
  document.querySelectorAll("[data-filter]").forEach(function (el) {
    el.addEventListener("change", applyFilters);
  });

  // -- self-check: each record's highlighted pieces, joined, are text[start:end] --------------
  function selfCheck() {
    var checked = 0, bad = [];
    Object.keys(docs).forEach(function (id) {
      var entry = docs[id], pane = entry.el.querySelector(".text[data-len]");
      if (!pane) return;
      var chars = Array.from(pane.textContent); // code points, as Python counts offsets
      if (chars.length !== parseInt(pane.getAttribute("data-len"), 10)) {
        bad.push(id + ": text has " + chars.length + " characters, expected " + pane.getAttribute("data-len"));
      }
      entry.el.querySelectorAll("li.rec").forEach(function (rec) {
        var key = rec.getAttribute("data-key"), slot = entry.marks[key] || { a: [], e: [] };
        [["a", "data-s", "data-e"], ["e", "data-es", "data-ee"]].forEach(function (r) {
          if (!rec.hasAttribute(r[1])) return;
          var s = parseInt(rec.getAttribute(r[1]), 10), e = parseInt(rec.getAttribute(r[2]), 10);
          var want = chars.slice(s, e).join("");
          var got = slot[r[0]].map(function (m) { return m.textContent; }).join("");
          checked++;
          if (got !== want) bad.push(rec.id + " " + r[1] + ": " + JSON.stringify(got) + " != " + JSON.stringify(want));
        });
      });
    });
    var out = document.getElementById("selfcheck");
    out.setAttribute("data-checked", String(checked));
    out.setAttribute("data-mismatches", String(bad.length));
    out.textContent = bad.slice(0, 20).join("\n");
    return bad.length;
  }

  try {
    document.querySelectorAll("article.doc").forEach(indexDoc);
    var mismatches = selfCheck();
    if (!errors.length) {
      status.setAttribute("data-state", mismatches ? "error" : "ok");
      status.textContent = mismatches
        ? "Self-check: " + mismatches + " highlight(s) do not match their offsets (see below)."
        : "Self-check: " + document.getElementById("selfcheck").getAttribute("data-checked") + " highlighted spans match their offsets.";
      if (mismatches) document.getElementById("selfcheck").hidden = false;
    }
  } catch (e) {
    fail(e && e.stack ? e.stack : e);
  }
})();

/* siege serve: the what-if panel over the map. Every change is sent to the server, which checks it
   as it checks a scenario file, re-runs and answers with what changed (towns, roads' states, steps,
   results, edits): the page lays it over itself in place, keeping the view. All text is set with
   textContent: nothing from a request or a scenario becomes markup. */
(function () {
  "use strict";

  function start() {
    if (!window.siegeMap || !window.siegeMap.data.workbench) { return setTimeout(start, 50); }
    var sm = window.siegeMap, wb = sm.data.workbench, el = sm.el;
    var sid = wb.session;

    function post(action, body) {
      status.textContent = action === "save" ? "saving…" : "working… (re-running the scenario)";
      status.className = "siege-wb-status siege-wb-busy";
      var began = Date.now();
      return fetch("/api/" + action + "?s=" + encodeURIComponent(sid) + (wb.compare ? "&compare=" + wb.compare : ""), {
        method: "POST", body: JSON.stringify(body || {}),
        // the answer this page holds: the server leaves out the routes it has already
        headers: { "Content-Type": "application/json", "X-Siege-Token": wb.token, "X-Siege-Known": String(version) },
      }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (!res.ok) { status.textContent = res.body.error || "refused"; status.className = "siege-wb-status siege-wb-error"; return null; }
          if (res.body.state) {  // what the change did, laid over the page
            apply(res.body.state);
            status.textContent = "done in " + ((Date.now() - began) / 1000).toFixed(1) + " s";
            status.className = "siege-wb-status siege-wb-done";
          }
          return res.body;
        }, function () {
          status.textContent = "no answer from siege serve (is it still running?)";
          status.className = "siege-wb-status siege-wb-error";
          return null;
        });
    }
    var answers = 0;  // answers laid over the page so far (a script can wait for the next one)
    var version = wb.version === undefined ? -1 : wb.version;  // the newest answer laid over the page
    function apply(state) {
      if (state.version <= version) return;
      version = state.version;
      sm.update(state);
      wb = sm.data.workbench = state.workbench;
      fill();
      answers += 1;
    }
    // a reload or a change of comparison sends the page again: keep the planner's view (centre and zoom)
    var viewKey = "siege-view-" + sid;
    function keepView() {
      try {
        var c = sm.map.getCenter();
        window.sessionStorage.setItem(viewKey, JSON.stringify({ lat: c.lat, lng: c.lng, zoom: sm.map.getZoom() }));
      } catch (e) { /* storage refused (private mode): the page opens on the whole network */ }
    }
    window.addEventListener("pagehide", keepView);
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(viewKey) || "null");
      if (kept && isFinite(kept.lat) && isFinite(kept.lng) && isFinite(kept.zoom)) {
        sm.map.setView([kept.lat, kept.lng], kept.zoom, { animate: false });
      }
    } catch (e) { /* nothing kept */ }
    function field(label, input) {
      var row = el("label", null, "siege-wb-field"); row.appendChild(document.createTextNode(label + " ")); row.appendChild(input); return row;
    }
    function input(type, value, cls) { var i = el("input", null, cls); i.type = type; if (value !== undefined) i.value = value; return i; }
    function select(options, cls) {
      var s = el("select", null, cls);
      options.forEach(function (o) { var opt = el("option", o[1]); opt.value = o[0]; s.appendChild(opt); });
      return s;
    }
    function effectOf(kind, level) {
      if (kind === "close") return "close";
      var v = parseFloat(level);
      return kind === "risk" ? { risk: v } : { capacity_factor: v };
    }
    function commodityOf(value) { return value ? [value] : undefined; }

    // ---- the panel ------------------------------------------------------------------------------
    var panel = L.control({ position: "topleft" });
    var status, form, townSelect, dateInput, resultsBox, editsTitle, editsList, undo;
    function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
    function fill() {
      clear(resultsBox);
      var hit = wb.results.filter(function (r) { return r.status !== "open"; });
      resultsBox.appendChild(el("h4", "Results: " + hit.length + " town(s) not open, " + (wb.results.length - hit.length) + " open"));
      var table = el("table", null, "siege-wb-results");
      hit.slice(0, 15).forEach(function (r) {
        var tr = el("tr");
        [r.town, r.status + (r.was !== r.status ? " (was " + r.was + ")" : ""), Math.round(r.served * 100) + " % served"]
          .forEach(function (v) { tr.appendChild(el("td", v)); });
        table.appendChild(tr);
      });
      resultsBox.appendChild(table);
      if (hit.length > 15) resultsBox.appendChild(el("div", (hit.length - 15) + " more in the map", "siege-note"));
      editsTitle.textContent = "Your edits (" + wb.edits.length + ")";
      clear(editsList);
      wb.edits.forEach(function (e) { editsList.appendChild(el("li", e.text)); });
      undo.disabled = !wb.edits.length;
      if (dateInput.value !== wb.date) dateInput.value = wb.date;
    }
    panel.onAdd = function () {
      var div = el("div", null, "siege-workbench leaflet-control");
      L.DomEvent.disableClickPropagation(div); L.DomEvent.disableScrollPropagation(div);
      div.appendChild(el("h4", "What-if"));
      div.appendChild(el("div", "Click a road or a river reach to close or degrade it, an airport to close it; click a town, then blockade it.", "siege-note"));
      form = el("div", null, "siege-wb-form");  // a clicked road's form, at the top where it is seen
      div.appendChild(form);
      var date = input("date", wb.date, "siege-wb-date");
      dateInput = date;
      date.addEventListener("change", function () { post("date", { date: date.value }); });
      div.appendChild(field("date", date));
      // town blockade
      var town = select(wb.towns.map(function (t) { return [t, t]; }), "siege-wb-town");
      townSelect = town;
      var tb = el("button", "blockade town", "siege-wb-blockade");
      tb.addEventListener("click", function () {
        post("edit", { kind: "town_blockade", fields: { place: town.value, effect: "close", start: wb.date || undefined } })
          ;
      });
      var row = el("div"); row.appendChild(town); row.appendChild(tb); div.appendChild(row);
      // convoy and escort
      var cFrom = select(wb.towns.map(function (t) { return [t, t]; }), "siege-wb-convoy-from");
      var cTo = select(wb.towns.map(function (t) { return [t, t]; }), "siege-wb-convoy-to");
      var cTrucks = input("number", "100", "siege-wb-convoy-trucks");
      var cCom = select(wb.commodities.map(function (c) { return [c, c]; }), "siege-wb-convoy-commodity");
      // by road or river the size is in trucks; an airlift's in tonnes
      var cMode = select([["road", "trucks by road"], ["river", "trucks by river"], ["air", "tonnes by air (airlift)"]], "siege-wb-convoy-mode");
      var cb = el("button", "add convoy", "siege-wb-convoy");
      cb.addEventListener("click", function () {
        var size = parseFloat(cTrucks.value), fields = { from: cFrom.value, to: cTo.value, commodity: cCom.value,
          date: wb.date || undefined, mode: cMode.value === "road" ? undefined : cMode.value };
        if (cMode.value === "air") fields.tonnes = size; else { fields.trucks = size; fields.escorted = true; }
        post("edit", { kind: "convoy", fields: fields });
      });
      var crow = el("div", null, "siege-wb-row"); crow.appendChild(document.createTextNode("convoy "));
      [cFrom, cTo, cTrucks, cMode, cCom, cb].forEach(function (x) { crow.appendChild(x); });
      div.appendChild(crow);
      var eRef = input("text", "", "siege-wb-escort-ref"); eRef.placeholder = "road, e.g. RN4";
      var eFrom = select(wb.towns.map(function (t) { return [t, t]; }), "siege-wb-escort-from");
      var eTo = select(wb.towns.map(function (t) { return [t, t]; }), "siege-wb-escort-to");
      var eb = el("button", "add escort", "siege-wb-escort");
      eb.addEventListener("click", function () {
        post("edit", { kind: "escort", fields: { ref: eRef.value, from: eFrom.value, to: eTo.value,
          capacity_trucks_per_day: 50, start: wb.date || undefined } });
      });
      var erow = el("div", null, "siege-wb-row"); erow.appendChild(document.createTextNode("escort "));
      [eRef, eFrom, eTo, eb].forEach(function (x) { erow.appendChild(x); });
      div.appendChild(erow);
      // results (the towns hit, worst first) and the edits: filled by fill(), again after every answer
      resultsBox = el("div", null, "siege-wb-results-box");
      div.appendChild(resultsBox);
      editsTitle = el("h4");
      div.appendChild(editsTitle);
      editsList = el("ol", null, "siege-wb-edits");
      div.appendChild(editsList);
      undo = el("button", "undo", "siege-wb-undo");
      undo.addEventListener("click", function () { post("undo"); });
      var cmp = select([["", "no comparison"], ["loaded", "compare with the scenario as loaded"], ["baseline", "compare with the baseline"]], "siege-wb-compare");
      cmp.value = wb.compare;
      cmp.addEventListener("change", function () {
        keepView();
        window.location.assign("/?s=" + encodeURIComponent(sid) + (cmp.value ? "&compare=" + cmp.value : ""));
      });
      var r2 = el("div"); r2.appendChild(undo); r2.appendChild(cmp); div.appendChild(r2);
      var name = input("text", "", "siege-wb-name"); name.placeholder = "file name";
      var save = el("button", "save as TOML", "siege-wb-save");
      save.addEventListener("click", function () {
        post("save", { name: name.value }).then(function (r) { if (r) { status.textContent = "saved " + r.saved; status.className = "siege-wb-status siege-wb-saved"; } });
      });
      var r3 = el("div"); r3.appendChild(name); r3.appendChild(save); div.appendChild(r3);
      div.appendChild(el("div", "Files are saved in " + wb.folder, "siege-note"));
      status = el("div", null, "siege-wb-status");
      div.insertBefore(status, form);
      return div;
    };
    panel.addTo(sm.map);
    fill();
    // the page's own way to send an edit (what a click on "apply" sends), for scripts and benchmarks
    window.siegeWorkbench = { send: function (edit) { return post("edit", edit); }, answers: function () { return answers; } };

    // ---- a click on a town picks it for a blockade (and opens its popup as always) -------------------
    sm.townLayers.forEach(function (layer, i) {
      layer.on("click", function () { townSelect.value = sm.data.towns[i].name; townSelect.classList.add("siege-wb-picked"); });
    });

    // ---- a click on an airport closes it (every flight of it) -------------------------------------
    (sm.airportLayers || []).forEach(function (layer, i) {
      layer.on("click", function () {
        var a = sm.data.airports[i];
        while (form.firstChild) form.removeChild(form.firstChild);
        form.appendChild(el("h4", "airport of " + a.name));
        var from = input("date", wb.date, "siege-wb-start"), to = input("date", "", "siege-wb-end");
        var apply = el("button", "close the airport", "siege-wb-apply");
        apply.addEventListener("click", function () {
          post("edit", { kind: "cut", fields: { place: a.name, mode: "air", effect: "close", start: from.value || undefined,
            end: to.value || undefined } });
        });
        [field("from", from), field("to", to), apply].forEach(function (x) { form.appendChild(x); });
      });
    });

    // ---- a click on a road opens its form ---------------------------------------------------------
    sm.onRoad(function (layer, i) {
      layer.on("click", function (ev) {
        var p = sm.data.roads.features[i].properties;
        while (form.firstChild) form.removeChild(form.firstChild);
        form.appendChild(el("h4", p.label));
        var what = select([["close", "close"], ["risk", "attack (risk)"], ["capacity", "degrade (capacity factor)"]], "siege-wb-effect");
        var level = input("number", "0.5", "siege-wb-level"); level.step = "0.05"; level.min = "0"; level.max = "1";
        var com = select([["", "all traffic"]].concat(wb.commodities.map(function (c) { return [c, c + " only"]; })), "siege-wb-commodity");
        var from = input("date", wb.date, "siege-wb-start"), to = input("date", "", "siege-wb-end");
        var apply = el("button", "apply", "siege-wb-apply");
        apply.addEventListener("click", function () {
          var onRoad = !p.mode || p.mode === "road";
          var fields = { lat: ev.latlng.lat, lon: ev.latlng.lng, ref: p.ref && onRoad ? p.ref.split(";")[0] : undefined,
                         mode: onRoad ? undefined : p.mode,
                         effect: effectOf(what.value, level.value), commodities: commodityOf(com.value),
                         start: from.value || undefined, end: to.value || undefined };
          var kind = what.value === "close" ? "cut" : "attack";
          if (kind === "attack") fields.radius_km = 3;
          post("edit", { kind: kind, fields: fields });
        });
        [field("effect", what), field("level", level), field("on", com), field("from", from), field("to", to), apply]
          .forEach(function (x) { form.appendChild(x); });
      });
    });
  }
  start();
})();

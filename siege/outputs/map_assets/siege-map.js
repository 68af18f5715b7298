/* siege map: draws a run's roads, towns, events, supply points and the selected town's route from
   the JSON data embedded in the page. Every text from scenarios or data files is put into the page
   with textContent / createTextNode, never parsed as HTML. */
(function () {
  "use strict";

  // "attacked": under threat (convoys risk loss) but passable, apart from "closed" (no passage)
  var ROAD_COLORS = { open: "#5b6770", degraded: "#f28e2b", attacked: "#7b3294", closed: "#d62728" };
  var OPEN_ROAD = { state: "open", effect: "none", events: [] };  // steps list only the roads not open
  var ROAD_LABELS = { open: "open", degraded: "degraded (slower, less capacity)", attacked: "attacked (under threat, passable)",
                      closed: "closed (no passage)" };
  // access severity 0-5 of a cercle (siege.analyses.admin2): ColorBrewer YlOrRd, white for 0
  var SEVERITY_COLORS = ["#ffffff", "#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  var STATUS_COLORS = { open: "#1a9850", degraded: "#fdae61", besieged: "#f46d43", isolated: "#7f0000" };
  var EVENT_COLORS = { attack: "#b10026", ambush: "#b10026", blockade: "#54278f", control_zone: "#6a51a3", cut: "#000000",
                       town_blockade: "#54278f", escort: "#006d2c", convoy: "#08519c", rationing: "#8c510a",
                       release_reserve: "#08519c", season: "#8a6f2e", road_status: "#d94801" };
  var EVENT_SYMBOLS = { attack: "✹", ambush: "✹", blockade: "⊘", control_zone: "▦", cut: "✂",
                        town_blockade: "⊗", escort: "▲", convoy: "⇶", rationing: "½",
                        release_reserve: "⛁", season: "☔", road_status: "⊖" };
  var CLASS_WIDTH = { motorway: 5, trunk: 4, primary: 3, secondary: 2, tertiary: 1.5 };
  // other modes: colour when open (a closed or degraded one takes the road's state colours), width, dashes
  var MODE_OPEN = { river: "#2171b5", ferry: "#2171b5", air: "#6a51a3" };
  var MODE_WIDTH = { river: 4, ferry: 3, air: 1.2 };
  var MODE_DASH = { river: "1 7", ferry: "4 4", air: "2 8" };
  var MODE_LABELS = { road: "road", ferry: "ferry", river: "river (boats between ports)", air: "air leg (flights)" };
  // sweep probabilities: a blue scale, never mistaken for a status colour
  var P_CLASSES = [[0.05, "#f1eef6", "under 5 %"], [0.25, "#bdc9e1", "5–25 %"], [0.5, "#74a9cf", "25–50 %"],
                   [0.75, "#2b8cbe", "50–75 %"], [1.01, "#045a8d", "75 % or more"]];
  function pColor(p) {
    for (var i = 0; i < P_CLASSES.length; i++) { if (p < P_CLASSES[i][0]) return P_CLASSES[i][1]; }
    return P_CLASSES[P_CLASSES.length - 1][1];
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function rows(pairs) {
    var table = el("table", null, "siege-rows");
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === "") return;
      var tr = el("tr");
      tr.appendChild(el("th", p[0]));
      var td = el("td");
      if (Array.isArray(p[1])) {
        var ul = el("ul");
        p[1].forEach(function (item) { ul.appendChild(el("li", item)); });
        td.appendChild(ul);
      } else {
        td.textContent = String(p[1]);
      }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    return table;
  }

  function card(title, pairs, extraClass) {
    var div = el("div", null, "siege-card " + (extraClass || ""));
    div.appendChild(el("h3", title));
    div.appendChild(rows(pairs));
    return div;
  }

  function pct(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + " %"; }
  function num(x, d) { return x === null || x === undefined ? "–" : Number(x).toFixed(d === undefined ? 1 : d); }
  function latlngs(coords) { return coords.map(function (c) { return [c[1], c[0]]; }); }
  function safeUrl(text) { return /^https?:\/\/[^\s]+$/.test(text) ? text : null; }

  window.siegeRender = function (map, data) {
    // open on the evaluation date (the day the report's tables describe), else on the last step
    var step = data.start_step === null || data.start_step === undefined ? data.steps.length - 1 : data.start_step;
    var overlays = {};
    map.getContainer().classList.add("siege-map");
    // panes keep towns above routes, routes above roads, whatever order layers are drawn in
    [["siegeRoutes", 420], ["siegeEvents", 430], ["siegeTowns", 450]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = p[1];
    });

    // ---- country borders (Natural Earth), under everything -----------------------------------------
    if (data.borders && data.borders.length) {
      map.createPane("siegeBorders"); map.getPane("siegeBorders").style.zIndex = 250;
      var borders = L.geoJSON({ type: "FeatureCollection", features: data.borders }, {
        pane: "siegeBorders", interactive: false,
        style: function (f) {
          var home = f.properties.name === "Mali";
          return { color: "#7a7a7a", weight: home ? 2 : 1, opacity: 0.9, fillColor: home ? "#fbfaf6" : "#e6e2d8",
                   fillOpacity: 1, className: "siege-border" };
        },
      });
      borders.addTo(map);
      overlays["Country borders"] = borders;
    }
    if (data.rivers && data.rivers.length) {
      if (!map.getPane("siegeBorders")) { map.createPane("siegeBorders"); map.getPane("siegeBorders").style.zIndex = 250; }
      var rivers = L.geoJSON({ type: "FeatureCollection", features: data.rivers }, {
        pane: "siegeBorders", interactive: false,
        style: function () { return { color: "#6fa8dc", weight: 1.4, opacity: 0.9, className: "siege-river" }; },
      });
      rivers.addTo(map);
      overlays["Rivers"] = rivers;
    }

    // ---- cercles (admin 2) coloured by access severity 0-5: off until ticked -------------------------
    var cercleLayers = [];
    if (data.cercles && data.cercles.features.length) {
      map.createPane("siegeCercles"); map.getPane("siegeCercles").style.zIndex = 260;
      var cercles = L.geoJSON({ type: "FeatureCollection", features: data.cercles.features }, {
        pane: "siegeCercles",
        style: cercleStyle,
        onEachFeature: function (f, layer) {
          cercleLayers.push(layer);
          var p = function () { return layer.feature.properties; };
          layer.bindTooltip(function () {
            var q = p();
            return el("span", (q.adm2_name || q.adm1_name) + " (" + (q.adm2_pcode || q.adm1_pcode) + "): " +
              (q.access_severity === null ? "not assessed (no town on the network)" : "access severity " + q.access_severity));
          });
          layer.bindPopup(function () {
            var q = p();
            return card(q.adm2_name || q.adm1_name, [
              ["P-code", (q.adm2_pcode || "–") + ", region " + q.adm1_name + " (" + q.adm1_pcode + ")"],
              ["P-code version", q.cod_version],
              ["towns on the network", q.towns ? q.town_names : "none"],
              ["population of those towns", q.population_on_network],
              ["worst status", q.worst_status || "–"],
              ["first day short", q.first_day_short || "–"],
              ["days short", q.days_short === null ? "–" : q.days_short],
              ["access severity (0-5)", q.access_severity === null ? "not assessed" : q.access_severity],
            ], "siege-cercle-popup");
          });
        },
      });
      overlays["Cercles (access severity)"] = cercles;
    }
    function cercleStyle(f) {
      var v = f.properties.access_severity;
      return { color: "#555", weight: 0.8, fillColor: v === null ? "#d9d9d9" : SEVERITY_COLORS[v],
               fillOpacity: v === null ? 0.25 : 0.55, className: "siege-cercle siege-severity-" + (v === null ? "na" : v) };
    }

    // ---- roads ----------------------------------------------------------------------------------
    var roads = L.featureGroup();
    var reaches = L.featureGroup();  // the navigable river, boats between ports
    var flights = L.featureGroup();  // air legs between airports (off by default: many long lines)
    var roadLayers = [];
    var roadHooks = [];  // called on every road drawn, now or later (the workbench's click forms)
    var drawnState = {};  // position -> the state a road not open is drawn in (see showStep)
    function modeColor(p, st) { return st === "open" && MODE_OPEN[p.mode] ? MODE_OPEN[p.mode] : ROAD_COLORS[st]; }
    function addRoad(f, i) {
      var p = f.properties, mode = p.mode || "road";
      var line = L.polyline(latlngs(f.geometry.coordinates), {
        color: modeColor(p, p.state), weight: MODE_WIDTH[mode] || CLASS_WIDTH[p.road_class] || 1.5, opacity: 0.9,
        dashArray: MODE_DASH[mode] || (p.estimated ? "8 6" : null), lineCap: mode === "river" ? "round" : null,
        className: "siege-road siege-mode-" + mode + " siege-road-" + p.state + (p.estimated ? " siege-road-estimated" : ""),
      });
      line.bindTooltip(function () {
        var s = data.steps[step].roads[i] || OPEN_ROAD;
        var state = mode === "river" && s.state === "closed" ? "closed (no boats: low water or an event)" : s.state;
        return card(p.label, [
          ["mode", MODE_LABELS[mode] + (p.ferry && mode === "road" ? ", crosses by ferry" : "")],
          ["road", mode === "road" ? (p.ref || "unnumbered") : p.ref], ["name", p.name],
          ["class", mode === "road" ? p.road_class : null], ["surface", mode === "road" ? p.surface : null],
          ["payload", p.payload_t ? num(p.payload_t) + " t a day" : null],
          ["length", num(p.length_km) + " km" + (p.estimated ? " (estimated: no published distance)" : "")],
          ["state", state], ["effect", s.effect], ["events", s.events],
        ]);
      }, { sticky: true });
      line.addTo(mode === "air" ? flights : mode === "river" ? reaches : roads);
      roadLayers[i] = line;
      if (p.state !== "open") drawnState[i] = p.state;
      roadHooks.forEach(function (hook) { hook(line, i); });
    }
    data.roads.features.forEach(addRoad);
    function onRoad(hook) { roadHooks.push(hook); roadLayers.forEach(function (line, i) { hook(line, i); }); }
    roads.addTo(map);
    overlays["Roads (state)"] = roads;
    if (reaches.getLayers().length) { reaches.addTo(map); overlays["River reaches (boats)"] = reaches; }
    if (flights.getLayers().length) overlays["Air legs (flights)"] = flights;

    // ---- airports: closed when every flight of theirs is ---------------------------------------------
    var airportLayers = [];
    var airports = L.featureGroup();
    // beside its town (up and right) and under the town markers, so a click on a town opens the town
    if (!map.getPane("siegeAirports")) { map.createPane("siegeAirports"); map.getPane("siegeAirports").style.zIndex = 390; }
    (data.airports || []).forEach(function (a) {
      var m = L.marker([a.lat, a.lon], { pane: "siegeAirports", keyboard: false,
        icon: L.divIcon({ className: "siege-airport", html: "✈", iconSize: [14, 14], iconAnchor: [-3, 17] }) });
      m.bindTooltip(function () {
        var s = data.steps[step], closed = a.legs.every(function (i) { return (s.roads[i] || OPEN_ROAD).state === "closed"; });
        return card("airport of " + a.name, [["payload", num(a.payload_t) + " t a day at most"], ["state", closed ? "closed" : "open"],
          ["flights", a.legs.length + " leg(s)"]]);
      });
      m.addTo(airports);
      airportLayers.push(m);
    });
    if (airportLayers.length) { airports.addTo(map); overlays["Airports"] = airports; }

    // ---- selected town: route and chokepoints ----------------------------------------------------
    var selected = L.featureGroup().addTo(map);
    overlays["Selected town: route and chokepoints"] = selected;
    function select(t) {
      selected.clearLayers();
      if (t.route.length > 1) {
        L.polyline(latlngs(t.route), { color: "#1f78b4", weight: 7, opacity: 0.75, className: "siege-route", pane: "siegeRoutes" })
          .bindTooltip(el("span", "best surviving route to " + t.name + (t.supplied_from ? " from " + t.supplied_from : "")))
          .addTo(selected);
      }
      t.chokepoint_lines.forEach(function (c) {
        L.polyline(latlngs(c), { color: "#e7298a", weight: 9, opacity: 0.85, className: "siege-chokepoint", pane: "siegeRoutes" })
          .bindTooltip(el("span", "chokepoint of " + t.name)).addTo(selected);
      });
      selectedName.textContent = t.name;
    }

    // ---- towns -----------------------------------------------------------------------------------
    var towns = L.featureGroup();
    var townLayers = [];
    // drawing order: larger towns first so that a small town beside a large one stays clickable, the
    // capital last so that a click on its centre opens it (Kati's marker lies inside Bamako's)
    var order = data.towns.map(function (t, i) { return i; });
    order.sort(function (a, b) {
      var ca = data.towns[a].name === data.capital ? 1 : 0, cb = data.towns[b].name === data.capital ? 1 : 0;
      if (ca !== cb) return ca - cb;
      return (data.towns[b].population || 20000) - (data.towns[a].population || 20000);
    });
    order.forEach(function (i) {
      var t = data.towns[i];  // where it is and how large: an edit never moves a town
      var radius = 4 + Math.sqrt((t.population || 20000) / 20000) * 2.2;
      var prob = data.probabilities ? data.probabilities[t.name] : null;
      var m = L.circleMarker([t.lat, t.lon], {
        radius: Math.min(radius, 24), color: "#222", weight: t.status === "open" && !prob ? 1 : 2.5,
        fillColor: prob ? pColor(prob.p) : STATUS_COLORS[t.status], fillOpacity: 0.92,
        className: "siege-town siege-town-" + i, pane: "siegeTowns",
      });
      m.bindTooltip(el("span", t.name));
      m.bindPopup(function () {
        var s = data.steps[step].towns[i], t = data.towns[i];  // read when opened: an edit replaces them
        var pairs = [
          ["status", s.status + (t.baseline_status !== s.status ? " (baseline: " + t.baseline_status + ")" : "")],
          ["served fraction", pct(s.served_fraction)],
          [(s.commodity || "supply") + " that day (" + (s.unit || "trucks/day") + ")", num(s.throughput) + " arrived of " + num(s.demand) + " needed"],
          ["hours from imports", num(s.hours_from_imports) + " (baseline " + num(t.baseline_hours_from_imports) + ", ×" + num(s.travel_time_ratio, 2) + ")"],
          ["route survival", pct(s.route_survival)],
          ["cut off from imports", s.cut_off_from_imports ? "yes" : "no"],
          ["cut off from " + (data.capital || "the capital"), !data.capital ? "(no capital named)" : t.name === data.capital ? "(the capital)" : (s.cut_off_from_capital ? "yes" : "no")],
          ["cercle", t.admin ? (t.admin.adm2_pcode ? t.admin.adm2_name + " (" + t.admin.adm2_pcode + "), " : "") +
            t.admin.adm1_name + " region (" + t.admin.adm1_pcode + ") · P-codes " + t.admin.cod_version : "– (outside the admin areas)"],
          ["supplied from", t.supplied_from],
          ["chokepoints", t.chokepoints.length ? t.chokepoints : "–"],
        ];
        if (s.commodities) {  // a run through time: each commodity on the slider's day
          pairs.splice(3, 0, ["on " + data.steps[step].date, s.commodities.map(function (c) {
            return c.name + ": " + num(c.inflow) + " of " + num(c.demand) + " " + c.unit + " in, stock " +
              num(c.stock_days) + " days, " + c.status + (c.short ? " — SHORT" : "");
          })]);
        }
        if (prob) {
          pairs.unshift(["in the sweep (" + prob.variants + " variants)", [
            "P(isolated) " + pct(prob.p_isolated), "P(runs out) " + pct(prob.p_run_out),
            "days to stock-out: median " + num(prob.median, 0) + " (5–95 %: " + num(prob.p5, 0) + "–" + num(prob.p95, 0) + ")"]]);
        }
        if (data.compare && data.compare.towns[t.name]) {
          pairs.unshift(["change", data.compare.a + ": " + data.compare.towns[t.name][0] + " → " + data.compare.b + ": " + data.compare.towns[t.name][1]]);
        }
        return card(t.name, pairs, "siege-town-popup");
      }, { maxWidth: 420 });
      m.on("click", function () { select(data.towns[i]); });
      m.addTo(towns);
      townLayers[i] = m;  // by the town's index in data.towns, whatever the drawing order
    });
    towns.addTo(map);
    overlays["Towns (status)"] = towns;

    // ---- events ----------------------------------------------------------------------------------
    var events = L.featureGroup();
    function drawEvents() {
      events.clearLayers();
      data.events.forEach(function (e) {
        // on the river, an event (low water, an attack on boats) is drawn in the river's blue-grey
        var color = e.mode === "river" && e.kind === "season" ? "#6b8fb3" : EVENT_COLORS[e.kind] || "#333";
        var cls = "siege-event siege-event-" + e.kind + (e.active ? "" : " siege-event-inactive");
        var popup = function () {
          return card(e.label, [["kind", e.kind], ["when", e.window], ["active on this date", e.active ? "yes" : "no"],
            ["effect", e.effect], ["segments hit", e.segments_hit ? e.segment_names : "–"], ["source", e.source], ["note", e.note]], "siege-event-popup");
        };
        var style = { color: color, weight: 2, opacity: e.active ? 0.9 : 0.35, fillOpacity: e.active ? 0.12 : 0.04, className: cls, pane: "siegeEvents" };
        e.circles.forEach(function (c) { L.circle([c.lat, c.lon], Object.assign({ radius: c.radius_m }, style)).bindPopup(popup).addTo(events); });
        if (e.polygon) { L.geoJSON(e.polygon, { style: function () { return style; } }).bindPopup(popup).addTo(events); }
        e.segments.forEach(function (s) {
          L.polyline(latlngs(s), Object.assign({}, style, { weight: 6, dashArray: "6 6", fill: false })).bindPopup(popup).addTo(events);
        });
        var icon = L.divIcon({ className: "siege-event-icon", html: "", iconSize: [22, 22] });
        // in the events pane, under the towns: a click on a town always opens the town
        var marker = L.marker([e.anchor[1], e.anchor[0]], { icon: icon, title: e.label, pane: "siegeEvents" });
        marker.on("add", function () {
          var node = marker.getElement();
          node.textContent = EVENT_SYMBOLS[e.kind] || "!";
          node.style.color = color;
          node.style.opacity = e.active ? 1 : 0.45;
        });
        marker.bindPopup(popup).addTo(events);
      });
    }
    drawEvents();
    events.addTo(map);
    overlays["Events"] = events;

    // ---- supply points ---------------------------------------------------------------------------
    var supply = L.featureGroup();
    data.supply.forEach(function (s) {
      var icon = L.divIcon({ className: "siege-supply-icon", html: "", iconSize: [18, 18] });
      var marker = L.marker([s.lat, s.lon], { icon: icon, title: s.name });
      marker.on("add", function () { marker.getElement().textContent = "⚓"; });
      marker.bindPopup(function () {
        return card(s.name, [["supply point", "import gateway"], ["capacity", num(s.capacity, 0) + " trucks/day"], ["basis", s.basis]]);
      });
      marker.addTo(supply);
    });
    supply.addTo(map);
    overlays["Supply points"] = supply;

    // ---- extra segment layers (criticality, attacker's cut, protect first) -------------------------
    (data.extra_layers || []).forEach(function (layer) {
      var group = L.featureGroup();
      layer.segments.forEach(function (seg) {
        L.polyline(latlngs(seg.coords), {
          color: layer.color, weight: seg.weight || layer.weight || 7, opacity: 0.8,
          className: "siege-extra " + layer.css, pane: "siegeRoutes",
        }).bindTooltip(function () { return card(seg.title, seg.lines); }, { sticky: true }).addTo(group);
      });
      if (layer.show) group.addTo(map);
      overlays[layer.name] = group;
    });

    // ---- compare: what changed -------------------------------------------------------------------
    var changes = L.featureGroup();
    function drawCompare() {
      changes.clearLayers();
      if (!data.compare) return;
      data.towns.forEach(function (t) {
        var c = data.compare.towns[t.name];
        if (!c || c[0] === c[1]) return;
        L.circleMarker([t.lat, t.lon], { radius: 16, color: "#000", weight: 3, fill: false, dashArray: "3 3", className: "siege-change" })
          .bindTooltip(el("span", t.name + ": " + c[0] + " → " + c[1])).addTo(changes);
      });
      data.roads.features.forEach(function (f, i) {
        var c = data.compare.roads[i];
        if (!c || c[0] === c[1]) return;
        L.polyline(latlngs(f.geometry.coordinates), { color: "#000", weight: 8, opacity: 0.35, className: "siege-change" })
          .bindTooltip(el("span", f.properties.label + ": " + c[0] + " → " + c[1])).addTo(changes);
      });
    }
    drawCompare();
    if (data.compare) {
      changes.addTo(map);
      overlays["Changes: " + data.compare.a + " → " + data.compare.b] = changes;
    }

    // ---- base layers, controls -------------------------------------------------------------------
    var plain = L.layerGroup().addTo(map);
    var osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: "© OpenStreetMap contributors",
    });
    // ---- names: the capital and regional capitals always, other towns from zoom 7 -------------------
    var labels = L.layerGroup().addTo(map);
    var minorLabels = [];
    data.towns.forEach(function (t) {
      var r = Math.min(4 + Math.sqrt((t.population || 20000) / 20000) * 2.2, 24);  // the marker's radius
      var label = L.tooltip({ permanent: true, direction: "right", offset: [r, 0], interactive: false,
                              className: "siege-label " + (t.major ? "siege-label-major" : "siege-label-minor") })
        .setLatLng([t.lat, t.lon]).setContent(el("span", t.name));
      if (t.major) labels.addLayer(label); else minorLabels.push(label);
    });
    function showMinorLabels() {
      var on = map.getZoom() >= 7;
      minorLabels.forEach(function (l) { if (on) labels.addLayer(l); else labels.removeLayer(l); });
    }
    map.on("zoomend", showMinorLabels);
    overlays["Town names"] = labels;

    L.control.layers({ "Plain background (offline)": plain, "OpenStreetMap tiles (online)": osm }, overlays, { collapsed: false }).addTo(map);
    L.control.scale({ metric: true, imperial: false }).addTo(map);

    var title = L.control({ position: "topleft" });
    var selectedName, whenText, hiddenText;
    title.onAdd = function () {
      var div = el("div", null, "siege-title leaflet-control");
      div.appendChild(el("h1", data.title.name));
      whenText = el("div", data.title.when, "siege-when");
      div.appendChild(whenText);
      div.appendChild(el("div", "Network: " + data.title.network, "siege-network"));
      if (data.title.schematic) div.appendChild(el("div", data.title.schematic, "siege-schematic"));
      hiddenText = el("div", data.title.hidden_roads, "siege-note siege-hidden-roads");
      if (data.title.hidden_roads) div.appendChild(hiddenText);
      if (data.title.sources.length) {
        var details = el("details");
        details.appendChild(el("summary", "Sources (" + data.title.sources.length + ")"));
        var ul = el("ul");
        data.title.sources.forEach(function (s) {
          var li = el("li", s);
          var m = s.match(/https?:\/\/\S+/);
          if (m && safeUrl(m[0])) {
            li.textContent = s.replace(m[0], "");
            var a = el("a", m[0]);
            a.href = m[0];
            a.rel = "noopener noreferrer";
            a.target = "_blank";
            li.appendChild(a);
          }
          ul.appendChild(li);
        });
        details.appendChild(ul);
        div.appendChild(details);
      }
      var sel = el("div", null, "siege-selected");
      sel.appendChild(document.createTextNode("Selected town (click a town): "));
      selectedName = el("strong", "–");
      sel.appendChild(selectedName);
      div.appendChild(sel);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    title.addTo(map);

    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = el("div", null, "siege-legend leaflet-control");
      // folded with one click (its summary): open, it covers the east of the country on a laptop screen
      var body = el("details"); body.open = true;
      body.appendChild(el("summary", "Legend"));
      div.appendChild(body);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      body.appendChild(el("h4", "Towns"));
      Object.keys(STATUS_COLORS).forEach(function (k) {
        var row = el("div"); var sw = el("span", null, "siege-swatch siege-dot"); sw.style.background = STATUS_COLORS[k];
        row.appendChild(sw); row.appendChild(document.createTextNode(k)); body.appendChild(row);
      });
      if (data.probabilities) {
        body.appendChild(el("h4", "Towns: " + data.probability_label));
        P_CLASSES.forEach(function (c) {
          var row = el("div"); var sw = el("span", null, "siege-swatch siege-dot"); sw.style.background = c[1];
          row.appendChild(sw); row.appendChild(document.createTextNode(c[2])); body.appendChild(row);
        });
      }
      body.appendChild(el("h4", "Roads"));
      Object.keys(ROAD_COLORS).forEach(function (k) {
        var row = el("div"); var sw = el("span", null, "siege-swatch siege-line"); sw.style.background = ROAD_COLORS[k];
        row.appendChild(sw); row.appendChild(document.createTextNode(ROAD_LABELS[k])); body.appendChild(row);
      });
      var riv = el("div"); var swr = el("span", null, "siege-swatch siege-line"); swr.style.background = "#6fa8dc";
      riv.appendChild(swr); riv.appendChild(document.createTextNode("river")); body.appendChild(riv);
      if (data.roads.features.some(function (f) { return f.properties.mode === "river"; })) {
        var nav = el("div"); var swn = el("span", null, "siege-swatch siege-line siege-dotted"); swn.style.background = MODE_OPEN.river;
        nav.appendChild(swn); nav.appendChild(document.createTextNode("navigable reach (boats; red when closed by low water or an event)")); body.appendChild(nav);
      }
      if ((data.airports || []).length) {
        var air = el("div"); air.appendChild(el("span", "✈", "siege-symbol"));
        air.appendChild(document.createTextNode("airport (flights: layer \"Air legs\")")); body.appendChild(air);
      }
      var est = el("div"); var swe = el("span", null, "siege-swatch siege-line siege-dashed");
      est.appendChild(swe); est.appendChild(document.createTextNode("length estimated (no published distance)")); body.appendChild(est);
      body.appendChild(el("div", "width: road class; size of a town: population", "siege-note"));
      if (data.cercles && data.cercles.features.length) {
        body.appendChild(el("h4", "Cercles: access severity (layer off until ticked)"));
        var sev = el("div", null, "siege-severity-scale");
        SEVERITY_COLORS.forEach(function (color, k) {
          var sw = el("span", String(k), "siege-swatch siege-severity"); sw.style.background = color; sev.appendChild(sw);
        });
        body.appendChild(sev);
      }
      body.appendChild(el("h4", "Events"));
      [["attack", "attack / ambush"], ["blockade", "blockade"], ["control_zone", "control zone"], ["cut", "cut"],
       ["town_blockade", "town blockade"], ["escort", "escort"], ["convoy", "convoy"], ["rationing", "rationing"],
       ["release_reserve", "reserve released"], ["season", "season (rains, low water)"],
       ["road_status", "road status (Logistics Cluster layer)"]].forEach(function (k) {
        var row = el("div"); var sym = el("span", EVENT_SYMBOLS[k[0]], "siege-symbol"); sym.style.color = EVENT_COLORS[k[0]];
        row.appendChild(sym); row.appendChild(document.createTextNode(k[1])); body.appendChild(row);
      });
      var sup = el("div"); sup.appendChild(el("span", "⚓", "siege-symbol")); sup.appendChild(document.createTextNode("supply point")); body.appendChild(sup);
      var r = el("div"); var sw1 = el("span", null, "siege-swatch siege-line"); sw1.style.background = "#1f78b4";
      r.appendChild(sw1); r.appendChild(document.createTextNode("best surviving route")); body.appendChild(r);
      var c = el("div"); var sw2 = el("span", null, "siege-swatch siege-line"); sw2.style.background = "#e7298a";
      c.appendChild(sw2); c.appendChild(document.createTextNode("chokepoint")); body.appendChild(c);
      if ((data.extra_layers || []).length) {
        body.appendChild(el("h4", "Analysis"));
        data.extra_layers.forEach(function (layer) {
          var row = el("div", null, "siege-legend-extra"); var sw = el("span", null, "siege-swatch siege-line");
          sw.style.background = layer.color;
          row.appendChild(sw); row.appendChild(document.createTextNode(layer.name)); body.appendChild(row);
        });
      }
      return div;
    };
    legend.addTo(map);
    // the legend (bottom right) never runs under the layer list (top right): it scrolls in the room left
    function fitLegend() {
      var box = document.querySelector(".siege-legend"), layers = document.querySelector(".leaflet-control-layers");
      if (!box || !layers) return;
      var frame = map.getContainer().getBoundingClientRect();
      var room = frame.bottom - layers.getBoundingClientRect().bottom - 30;
      box.style.maxHeight = Math.max(120, room) + "px";
      box.style.overflowY = "auto";
    }
    fitLegend();
    map.on("resize", fitLegend);

    // ---- time: one state per date step -----------------------------------------------------------
    // the state each road is drawn in: a step restyles only the roads whose state it changes (a
    // national map has 100,000 roads, of which a few hundred are ever not open)
    function restyle(i, st) {
      var layer = roadLayers[i];
      if (!layer || (drawnState[i] || "open") === st) return;
      layer.setStyle({ color: modeColor(data.roads.features[i].properties, st) });
      var path = layer.getElement && layer.getElement();
      if (path) path.setAttribute("class", path.getAttribute("class").replace(/siege-road-(open|degraded|attacked|closed)\b/, "siege-road-" + st));
      if (st === "open") delete drawnState[i]; else drawnState[i] = st;
    }
    function showStep(k) {
      step = k;
      var s = data.steps[k];
      Object.keys(drawnState).forEach(function (i) { if (!s.roads[i]) restyle(Number(i), "open"); });
      Object.keys(s.roads).forEach(function (i) { restyle(Number(i), s.roads[i].state); });
      townLayers.forEach(function (layer, i) {
        if (data.probabilities) return;
        var st = s.towns[i].status;
        layer.setStyle({ fillColor: STATUS_COLORS[st], weight: st === "open" ? 1 : 2.5 });
      });
      if (stepLabel) stepLabel.textContent = s.date || "all events";
    }
    var stepLabel = null, stepInput = null;
    if (data.steps.length > 1) {
      var slider = L.control({ position: "bottomleft" });
      slider.onAdd = function () {
        var div = el("div", null, "siege-slider leaflet-control");
        div.appendChild(el("div", "State on"));
        stepLabel = el("strong", data.steps[step].date);
        div.appendChild(stepLabel);
        var input = el("input");
        input.type = "range"; input.min = 0; input.max = data.steps.length - 1; input.step = 1; input.value = step;
        input.setAttribute("aria-label", "date step");
        stepInput = input;
        input.addEventListener("input", function () { showStep(Number(input.value)); });
        div.appendChild(input);
        L.DomEvent.disableClickPropagation(div);
        return div;
      };
      slider.addTo(map);
    }

    var focus = data.towns.filter(function (t) { return t.name === data.focus; })[0];
    if (focus) select(focus);
    map.fitBounds(towns.getBounds().pad(0.05), { animate: false });
    showMinorLabels();

    // a popup never hides under the title block (top left) or the legend (right): if it overlaps one
    // once open, Leaflet's own auto-pan is given that block as padding and the popup is placed again
    map.on("popupopen", function (e) {
      var box = e.popup.getElement && e.popup.getElement();
      if (!box) return;
      var frame = map.getContainer().getBoundingClientRect(), b = box.getBoundingClientRect();
      function over(a) { return b.left < a.right && b.right > a.left && b.top < a.bottom && b.bottom > a.top; }
      var block = document.querySelector(".siege-title"), legend = document.querySelector(".siege-legend");
      var moved = false;
      if (block && over(block.getBoundingClientRect())) {
        e.popup.options.autoPanPaddingTopLeft = L.point(5, block.getBoundingClientRect().bottom - frame.top + 10);
        moved = true;
      }
      if (legend && over(legend.getBoundingClientRect())) {
        e.popup.options.autoPanPaddingBottomRight = L.point(frame.right - legend.getBoundingClientRect().left + 10, 5);
        moved = true;
      }
      if (!moved) return;
      e.popup.options.autoPan = true;
      e.popup.update();
    });
    // ---- an edit in siege serve: the new states laid over the page in place (no page sent again) ------
    // ``state`` is siege.outputs.map.map_state's: towns, events, steps, the step to open on, the
    // focus, the comparison, the cercles' properties and roads drawn for the first time. The slider
    // stays on the date shown if the new steps have it, and the selected town stays selected.
    function update(state) {
      var shown = data.steps[step] ? data.steps[step].date : null;
      var picked = selectedName ? selectedName.textContent : null;
      if (state.towns) {  // a route the page holds already is not sent again
        state.towns.forEach(function (t, i) {
          if (t.same_route && data.towns[i]) { t.route = data.towns[i].route; t.chokepoint_lines = data.towns[i].chokepoint_lines; }
        });
      }
      ["towns", "events", "steps", "start_step", "focus", "compare"].forEach(function (k) { if (k in state) data[k] = state[k]; });
      (state.new_roads || []).forEach(function (r) { data.roads.features[r.index] = r.feature; addRoad(r.feature, r.index); });
      if (state.when !== undefined) { data.title.when = state.when; if (whenText) whenText.textContent = state.when; }
      if (state.hidden_roads && hiddenText) hiddenText.textContent = state.hidden_roads;
      if (state.cercles && cercleLayers.length === state.cercles.length) {
        cercleLayers.forEach(function (layer, k) { layer.feature.properties = state.cercles[k]; layer.setStyle(cercleStyle(layer.feature)); });
      }
      drawEvents();
      drawCompare();
      var dates = data.steps.map(function (st) { return st.date; });
      var k = dates.indexOf(shown);
      if (k < 0) k = data.start_step === null || data.start_step === undefined ? data.steps.length - 1 : data.start_step;
      if (stepInput) { stepInput.max = data.steps.length - 1; stepInput.value = k; }
      showStep(k);
      var again = data.towns.filter(function (t) { return t.name === picked; })[0] ||
                  data.towns.filter(function (t) { return t.name === data.focus; })[0];
      if (again) select(again); else selected.clearLayers();
      map.closePopup();
    }
    window.siegeMap = { map: map, data: data, overlays: overlays, select: select, showStep: showStep, townLayers: townLayers,
                        roadLayers: roadLayers, airportLayers: airportLayers, el: el, update: update, onRoad: onRoad };
  };
})();

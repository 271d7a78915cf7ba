/* The coordinators' map: settlements clustered on the client (Supercluster), camps, and the
   outlines of governorates, districts or sub-districts from AidTrack's own data (they draw even
   when basemap tiles cannot load), shaded by a chosen figure with a legend of its classes. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const { el, number, rtl, popups } = window.AidTrack;
  const COLOURS = ["#7d8794", "#2f7fb8", "#d9a400", "#ee7411", "#c0262d"]; // none, low ... critical
  const form = document.querySelector("[data-filters]");
  const status = document.getElementById("map-status");
  const tableLink = document.getElementById("show-in-table");
  const reportLink = document.getElementById("show-report");
  const campToggle = document.getElementById("show-camps");
  const levelSelect = document.getElementById("area-level");
  const shadeToggle = document.getElementById("show-shading");
  const measure = document.getElementById("area-measure");
  const areaLegend = document.getElementById("area-legend");
  const restorationSelect = document.getElementById("restoration-field");
  const restorationLegend = document.getElementById("restoration-legend");
  // Worst to best, as Settlement.RESTORATION orders each field's values; "unknown" grey.
  const STATUS_COLOURS = ["#c0262d", "#ee7411", "#1a9850", "#7d8794"];
  const RAMP = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]; // ColorBrewer Reds, 5 classes
  const NO_DATA = "#bdbdbd";
  const pageQuery = new URLSearchParams(location.search);
  if (["1", "2", "3"].includes(pageQuery.get("level"))) levelSelect.value = pageQuery.get("level");
  if (pageQuery.get("restoration") in config.restoration) restorationSelect.value = pageQuery.get("restoration");
  if (pageQuery.get("shade") in config.measures) {
    measure.value = pageQuery.get("shade");
    shadeToggle.checked = true;
  }

  // Right to left, the controls swap sides: zoom on the right, legend and attribution on the left.
  const map = L.map("map", { preferCanvas: true, minZoom: 5, maxZoom: 18, zoomControl: false, attributionControl: false });
  L.control.zoom({ position: rtl ? "topright" : "topleft", zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out") }).addTo(map);
  L.control.attribution({ position: rtl ? "bottomleft" : "bottomright" }).addTo(map);
  map.fitBounds(config.bounds);
  if (config.tiles.url) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 18 }).addTo(map);
  }
  const legend = L.control({ position: rtl ? "bottomleft" : "bottomright" });
  legend.onAdd = () => document.getElementById("legend");
  legend.addTo(map);
  const shadingLegend = L.control({ position: rtl ? "bottomright" : "bottomleft" });
  shadingLegend.onAdd = () => areaLegend;
  shadingLegend.addTo(map);

  const areas = L.geoJSON(null, { style: areaStyle, onEachFeature: areaEvents, attribution: config.areas_attribution }).addTo(map);
  const points = L.layerGroup().addTo(map);
  const camps = L.layerGroup().addTo(map);
  const statuses = L.layerGroup().addTo(map);
  const statusControl = L.control({ position: rtl ? "topleft" : "topright" });
  statusControl.onAdd = () => restorationLegend;
  statusControl.addTo(map);
  let index = null;
  let total = 0;
  let breaks = []; // upper bounds of the shading classes
  let loading = null;
  let loadingAreas = null;

  function filterQuery() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value !== "" && value !== "unknown") params.append(key, value);
    return params.toString();
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status + " " + (await response.text()).slice(0, 200));
    return response.json();
  }

  function shading() {
    return shadeToggle.checked ? measure.value : null;
  }

  // With fewer classes than colours (small values), the classes take the darker end of the ramp.
  function classColour(index) {
    return RAMP[RAMP.length - breaks.length + index];
  }

  function areaColour(value) {
    if (value === null || value === undefined) return NO_DATA;
    const index = breaks.findIndex((bound) => value <= bound);
    return classColour(index < 0 ? breaks.length - 1 : index);
  }

  // What an area is shaded by: days since a delivery only matter where something is still needed.
  function areaValue(p, key) {
    return key === "days_since_delivery" && !p.open ? 0 : p[key];
  }

  function areaStyle(feature) {
    const style = { color: "#12324a", weight: levelSelect.value === "1" ? 1.2 : 0.8, opacity: 0.7, fillOpacity: 0 };
    if (feature.properties.approximate) style.dashArray = "4 3";
    const key = shading();
    if (key && breaks.length) {
      const value = areaValue(feature.properties, key);
      return { ...style, fillColor: areaColour(value), fillOpacity: value === 0 ? 0.15 : 0.65 };
    }
    return style;
  }

  function areaName(p) {
    return (rtl && p.name_ar) || p.name_en;
  }

  function areaTooltip(p) {
    const box = el("div");
    const name = el("strong", null, areaName(p));
    name.dir = "auto";
    box.append(name, el("br"));
    const key = shading() || "open";
    const value = key === "days_since_delivery" && p[key] === null ? gettext("no delivery recorded") : number(p[key]);
    box.append(el("span", null, config.measures[key] + ": " + value));
    if (p.approximate) box.append(el("br"), el("em", null, gettext("approximate outline")));
    return box;
  }

  function areaLinks(p) {
    const query = new URLSearchParams(filterQuery());
    query.set(config.levels[levelSelect.value], p.pcode);
    return [
      [gettext("Settlements in this area"), config.table + "?" + query],
      [gettext("Requests in this area"), config.requests_table + "?" + query],
    ];
  }

  function areaEvents(feature, layer) {
    layer.bindTooltip(() => areaTooltip(feature.properties), { sticky: true });
    layer.on("click", (event) => {
      L.popup({ maxWidth: 360 }).setLatLng(event.latlng)
        .setContent(popups.area(feature.properties, config.measures, areaLinks(feature.properties))).openOn(map);
    });
  }

  // Five equal classes from 1 to the largest value in view; 0 and "no data" have their own swatches.
  function classBreaks(key) {
    let top = 0;
    areas.eachLayer((layer) => { top = Math.max(top, areaValue(layer.feature.properties, key) || 0); });
    if (!top) return [0];
    const whole = key !== "tonnes";
    return RAMP.map((_, i) => {
      const bound = (top * (i + 1)) / RAMP.length;
      return whole ? Math.ceil(bound) : Math.round(bound * 10) / 10;
    }).filter((bound, i, all) => i === 0 || bound > all[i - 1]);
  }

  function swatch(colour, label) {
    const item = el("li");
    const box = el("span", "swatch area");
    box.style.background = colour;
    item.append(box, el("span", null, label));
    return item;
  }

  function drawAreaLegend(key) {
    areaLegend.replaceChildren();
    areaLegend.hidden = !key;
    if (!key) return;
    const level = levelSelect.options[levelSelect.selectedIndex].text;
    areaLegend.append(el("strong", null, level + ": " + config.measures[key]));
    const list = el("ul");
    list.append(swatch("transparent", key === "days_since_delivery" ? gettext("no open request") : number(0)));
    let low = key === "tonnes" ? 0 : 1;
    breaks.forEach((bound, i) => {
      if (bound === 0) return;
      const label = low >= bound ? number(bound) : interpolate(gettext("%(low)s to %(high)s"), { low: number(low), high: number(bound) }, true);
      list.append(swatch(classColour(i), label));
      low = key === "tonnes" ? bound : bound + 1;
    });
    if (key === "days_since_delivery") list.append(swatch(NO_DATA, gettext("no delivery recorded")));
    areaLegend.append(list);
    areaLegend.dataset.measure = key;
    areaLegend.dataset.classes = breaks.length;
  }

  function refreshAreas() {
    const key = shading();
    breaks = key ? classBreaks(key) : [];
    areas.setStyle(areaStyle);
    drawAreaLegend(key);
    remember();
  }

  function remember() {
    const query = new URLSearchParams(filterQuery());
    if (levelSelect.value !== "1") query.set("level", levelSelect.value);
    if (shading()) query.set("shade", shading());
    if (restorationSelect.value) query.set("restoration", restorationSelect.value);
    const text = query.toString();
    history.replaceState(null, "", text ? "?" + text : location.pathname);
  }

  async function loadAreas() {
    const query = new URLSearchParams(filterQuery());
    query.set("level", levelSelect.value);
    const mine = (loadingAreas = Symbol("areas"));
    const data = await getJSON(config.data.areas + "?" + query);
    if (mine !== loadingAreas) return;
    areas.clearLayers();
    areas.addData(data);
    map.getContainer().dataset.areas = data.features.length;
    map.getContainer().dataset.level = levelSelect.value;
    refreshAreas();
  }

  function openPopup(kind, id, latlng) {
    const url = config.popup[kind].replace(/0\.json$/, id + ".json");
    const popup = L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(el("p", null, gettext("Loading…"))).openOn(map);
    getJSON(url).then((data) => popup.setContent(popups[kind](data)))
      .catch(() => popup.setContent(el("p", "error", gettext("Could not load the details. Try again."))));
  }

  function clusterMarker(feature, lat, lon) {
    const count = feature.properties.point_count;
    const size = 26 + Math.min(24, Math.round(Math.log10(count) * 9));
    const label = el("span", null, count >= 1000 ? interpolate(gettext("%sk"), [number(Math.round(count / 100) / 10)]) : number(count));
    const icon = L.divIcon({ html: label, className: "cluster p" + feature.properties.top, iconSize: [size, size] });
    const marker = L.marker([lat, lon], { icon: icon, title: interpolate(ngettext("%s settlement", "%s settlements", count), [number(count)]), keyboard: true });
    marker.on("add", () => { marker.getElement().dataset.count = count; });
    marker.on("click", () => map.setView([lat, lon], Math.min(index.getClusterExpansionZoom(feature.id), 18)));
    return marker;
  }

  function pointMarker(feature, lat, lon) {
    const p = feature.properties;
    const marker = L.circleMarker([lat, lon], {
      radius: p.l ? 7 : 5,
      color: p.l ? "#111" : "#fff",
      weight: p.l ? 2 : 1,
      fillColor: COLOURS[p.p],
      fillOpacity: p.s ? 0.35 : 0.9,
      opacity: p.s ? 0.5 : 1,
    });
    marker.on("click", () => openPopup("settlement", feature.id, [lat, lon]));
    return marker;
  }

  function draw() {
    if (!index) return;
    points.clearLayers();
    const bounds = map.getBounds();
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
    let shown = 0, clusters = 0, singles = 0;
    for (const feature of index.getClusters(bbox, Math.round(map.getZoom()))) {
      const [lon, lat] = feature.geometry.coordinates;
      if (feature.properties.cluster) {
        clusters += 1;
        shown += feature.properties.point_count;
        points.addLayer(clusterMarker(feature, lat, lon));
      } else {
        singles += 1;
        shown += 1;
        points.addLayer(pointMarker(feature, lat, lon));
      }
    }
    status.dataset.total = total;
    status.dataset.shown = shown;
    status.dataset.clusters = clusters;
    status.dataset.points = singles;
    const summary = ngettext(
      "%(total)s settlement matches; in view: %(shown)s in %(clusters)s clusters and %(points)s single points.",
      "%(total)s settlements match; in view: %(shown)s in %(clusters)s clusters and %(points)s single points.",
      total
    );
    status.textContent = interpolate(summary, { total: number(total), shown: number(shown), clusters: number(clusters), points: number(singles) }, true);
  }

  function drawCamps(collection) {
    camps.clearLayers();
    for (const feature of collection.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const size = 12 + Math.round(4 * Math.log10(Math.max(feature.properties.n || 1, 1)));
      const icon = L.divIcon({ className: "camp-marker p" + feature.properties.p + (feature.properties.c ? " closed" : ""), iconSize: [size, size] });
      const marker = L.marker([lat, lon], { icon: icon, title: gettext("camp"), zIndexOffset: 1000 });
      marker.on("click", () => openPopup("camp", feature.id, [lat, lon]));
      camps.addLayer(marker);
    }
  }

  function statusColour(field, value) {
    const index = config.restoration[field].values.findIndex(([code]) => code === value);
    return STATUS_COLOURS[Math.max(index, 0)];
  }

  function drawRestorationLegend(field, counts) {
    restorationLegend.replaceChildren();
    restorationLegend.hidden = !field;
    if (!field) return;
    restorationLegend.append(el("strong", null, config.restoration[field].label));
    const list = el("ul");
    for (const [code, label] of config.restoration[field].values) {
      const item = el("li");
      const mark = el("span", "swatch status");
      mark.style.background = statusColour(field, code);
      item.append(mark, el("span", null, interpolate("%s (%s)", [label, number(counts[code] || 0)])));
      list.append(item);
    }
    restorationLegend.append(list);
    restorationLegend.dataset.field = field;
  }

  // Settlements whose water, electricity or demining a list or staff reported, as diamonds over the rest.
  async function loadRestoration() {
    const field = restorationSelect.value;
    statuses.clearLayers();
    remember();
    if (!field) return drawRestorationLegend(null);
    const query = new URLSearchParams(filterQuery());
    query.set("of", field);
    const data = await getJSON(config.data.restoration + "?" + query);
    if (field !== restorationSelect.value) return;
    const counts = {};
    for (const feature of data.features) {
      const [lon, lat] = feature.geometry.coordinates;
      const value = feature.properties.v;
      counts[value] = (counts[value] || 0) + 1;
      const icon = L.divIcon({ className: "status-marker", iconSize: [12, 12], html: "<span></span>" });
      const marker = L.marker([lat, lon], { icon: icon, zIndexOffset: 500, title: config.restoration[field].label });
      marker.on("add", () => {
        marker.getElement().firstChild.style.background = statusColour(field, value);
        marker.getElement().dataset.value = value;
      });
      marker.on("click", () => openPopup("settlement", feature.id, [lat, lon]));
      statuses.addLayer(marker);
    }
    drawRestorationLegend(field, counts);
    restorationLegend.dataset.count = data.features.length;
  }

  async function load() {
    const query = filterQuery();
    remember();
    tableLink.href = config.table + (query ? "?" + query : "");
    reportLink.href = config.report + (query ? "?" + query : "");
    status.textContent = gettext("Loading…");
    delete status.dataset.shown;
    const mine = (loading = Symbol("load"));
    try {
      const suffix = query ? "?" + query : "";
      const [settlements, campData] = await Promise.all([
        getJSON(config.data.settlements + suffix),
        getJSON(config.data.camps + suffix),
        loadAreas(),
        loadRestoration(),
      ]);
      if (mine !== loading) return; // a newer filter change has taken over
      index = new Supercluster({
        radius: 60,
        maxZoom: 16,
        map: (p) => ({ top: p.p }),
        reduce: (acc, p) => { acc.top = Math.max(acc.top, p.top); },
      }).load(settlements.features);
      total = settlements.features.length;
      drawCamps(campData);
      draw();
    } catch (error) {
      if (mine !== loading) return;
      status.textContent = interpolate(gettext("The map data could not be loaded: %s"), [error.message]);
      status.classList.add("error");
    }
  }

  form.addEventListener("change", load);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  map.on("moveend", draw);
  campToggle.addEventListener("change", () => (campToggle.checked ? camps.addTo(map) : camps.remove()));
  levelSelect.addEventListener("change", () => loadAreas().catch((error) => {
    status.textContent = interpolate(gettext("The map data could not be loaded: %s"), [error.message]);
  }));
  shadeToggle.addEventListener("change", refreshAreas);
  restorationSelect.addEventListener("change", () => loadRestoration().catch((error) => {
    status.textContent = interpolate(gettext("The map data could not be loaded: %s"), [error.message]);
  }));
  measure.addEventListener("change", () => { shadeToggle.checked = true; refreshAreas(); });
  window.AidTrack.map = map;
  load();
})();

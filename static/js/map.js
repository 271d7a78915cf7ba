/* The coordinators' map: settlements clustered on the client (Supercluster), camps, and the
   governorate outlines from AidTrack's own data, which draw even when basemap tiles cannot load. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const { el, number, rtl, popups } = window.AidTrack;
  const COLOURS = ["#7d8794", "#2f7fb8", "#d9a400", "#ee7411", "#c0262d"]; // none, low ... critical
  const form = document.querySelector("[data-filters]");
  const status = document.getElementById("map-status");
  const tableLink = document.getElementById("show-in-table");
  const campToggle = document.getElementById("show-camps");
  const choroplethToggle = document.getElementById("show-choropleth");
  const measure = document.getElementById("choropleth-measure");

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

  const areas = L.geoJSON(null, { style: areaStyle, onEachFeature: areaTooltip }).addTo(map);
  const points = L.layerGroup().addTo(map);
  const camps = L.layerGroup().addTo(map);
  let index = null;
  let total = 0;
  let areaMax = 0;
  let loading = null;

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

  function areaStyle(feature) {
    const style = { color: "#12324a", weight: 1.2, opacity: 0.7, fillOpacity: 0 };
    if (choroplethToggle.checked && areaMax > 0) {
      const share = (feature.properties[measure.value] || 0) / areaMax;
      return { ...style, fillColor: "#c0262d", fillOpacity: 0.08 + 0.55 * share };
    }
    return style;
  }

  function areaTooltip(feature, layer) {
    const p = feature.properties;
    const box = el("div");
    const name = el("strong", null, (rtl && p.name_ar) || p.name_en);
    name.dir = "auto";
    box.append(name, el("br"));
    const figures = ngettext("%(open)s open request · %(tonnes)s t still needed", "%(open)s open requests · %(tonnes)s t still needed", p.open);
    box.append(el("span", null, interpolate(figures, { open: number(p.open), tonnes: number(p.tonnes) }, true)), el("br"));
    const present = ngettext("%s organisation present", "%s organisations present", p.organizations);
    box.append(el("span", null, interpolate(present, [number(p.organizations)])));
    layer.bindTooltip(box, { sticky: true });
  }

  function refreshAreas() {
    areaMax = 0;
    areas.eachLayer((layer) => { areaMax = Math.max(areaMax, layer.feature.properties[measure.value] || 0); });
    areas.setStyle(areaStyle);
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

  async function load() {
    const query = filterQuery();
    history.replaceState(null, "", query ? "?" + query : location.pathname);
    tableLink.href = config.table + (query ? "?" + query : "");
    status.textContent = gettext("Loading…");
    delete status.dataset.shown;
    const mine = (loading = Symbol("load"));
    try {
      const suffix = query ? "?" + query : "";
      const [settlements, campData, areaData] = await Promise.all([
        getJSON(config.data.settlements + suffix),
        getJSON(config.data.camps + suffix),
        getJSON(config.data.governorates + suffix),
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
      areas.clearLayers();
      areas.addData(areaData);
      refreshAreas();
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
  choroplethToggle.addEventListener("change", refreshAreas);
  measure.addEventListener("change", refreshAreas);
  window.AidTrack.map = map;
  load();
})();

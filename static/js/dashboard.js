/* The dashboard's small map (governorates shaded by open requests) and its needs-versus-response
   chart; the tables beside them hold the same figures. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const rtl = document.documentElement.dir === "rtl";
  const numbers = new Intl.NumberFormat((document.documentElement.lang || "en") + "-u-nu-latn", { maximumFractionDigits: 1 });
  const map = L.map("dashboard-map", { scrollWheelZoom: false, zoomControl: false, attributionControl: false });
  L.control.attribution({ position: rtl ? "bottomleft" : "bottomright" }).addTo(map);
  map.fitBounds(config.bounds);
  if (config.tiles.url) L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution }).addTo(map);
  fetch(config.data.governorates, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((areas) => {
      const most = Math.max(1, ...areas.features.map((f) => f.properties.open));
      L.geoJSON(areas, {
        style: (f) => ({ color: "#12324a", weight: 1, fillColor: "#c0262d", fillOpacity: 0.05 + 0.6 * (f.properties.open / most) }),
        onEachFeature: (f, layer) => {
          const label = document.createElement("span");
          const name = (rtl && f.properties.name_ar) || f.properties.name_en;
          const text = ngettext("%(name)s: %(open)s open request", "%(name)s: %(open)s open requests", f.properties.open);
          label.textContent = interpolate(text, { name: name, open: numbers.format(f.properties.open) }, true);
          label.dir = "auto";
          layer.bindTooltip(label, { sticky: true });
          layer.on("click", () => { location.href = config.requests_table + "?status=open&governorate=" + f.properties.pcode; });
        },
      }).addTo(map);
      document.getElementById("dashboard-map").dataset.areas = areas.features.length;
    })
    .catch(() => { document.getElementById("dashboard-map").classList.add("error"); });

  const data = JSON.parse(document.getElementById("chart-data").textContent).governorates;
  const canvas = document.getElementById("gap-chart");
  if (!data.length || !window.Chart) return;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.map((row) => row.governorate),
      datasets: [
        { label: gettext("Requested (t)"), data: data.map((row) => row.requested), backgroundColor: "#c0262d" },
        { label: gettext("Delivered (t)"), data: data.map((row) => row.delivered), backgroundColor: "#1e7b34" },
      ],
    },
    options: {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: (document.documentElement.lang || "en") + "-u-nu-latn",
      // Right to left, bars grow from the right and the legend reads from the right.
      scales: { x: { beginAtZero: true, reverse: rtl }, y: { position: rtl ? "right" : "left" } },
      plugins: { legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }, tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" } },
    },
  });
})();

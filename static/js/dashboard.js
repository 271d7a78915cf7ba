/* The dashboard's small map (governorates shaded by open requests), its needs-versus-response
   chart (the tables beside them hold the same figures), and its charts over time. */
(function () {
  "use strict";

  function drawTrends(trends) {
    const rtl = document.documentElement.dir === "rtl";
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: (document.documentElement.lang || "en") + "-u-nu-latn",
      scales: { x: { reverse: rtl }, y: { beginAtZero: true, position: rtl ? "right" : "left" } },
      plugins: { legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }, tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" } },
    };
    const figures = {
      lists: {
        labels: trends.lists.map((row) => row.date),
        datasets: [
          { type: "line", label: gettext("On the list"), data: trends.lists.map((row) => row.on_list), borderColor: "#0b6e99" },
          { type: "bar", label: gettext("Added"), data: trends.lists.map((row) => row.added), backgroundColor: "#1e7b34" },
          { type: "bar", label: gettext("Dropped"), data: trends.lists.map((row) => row.dropped), backgroundColor: "#c0262d" },
        ],
      },
      weeks: {
        labels: trends.weeks.map((row) => row.week),
        datasets: [
          { label: gettext("Requested (t)"), data: trends.weeks.map((row) => row.requested), backgroundColor: "#c0262d" },
          { label: gettext("Delivered (t)"), data: trends.weeks.map((row) => row.delivered), backgroundColor: "#1e7b34" },
          { label: gettext("Pledged (t)"), data: trends.weeks.map((row) => row.pledged), backgroundColor: "#8a5a00" },
        ],
      },
    };
    for (const figure of document.querySelectorAll("figure.trend")) {
      const data = figures[figure.dataset.chart];
      if (!data.labels.length) { figure.hidden = true; continue; }
      new Chart(figure.querySelector("canvas"), { type: "bar", data: data, options: options });
      figure.dataset.drawn = String(data.labels.length);
    }
  }
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const rtl = document.documentElement.dir === "rtl";
  const numbers = new Intl.NumberFormat((document.documentElement.lang || "en") + "-u-nu-latn", { maximumFractionDigits: 1 });
  const map = L.map("dashboard-map", { scrollWheelZoom: false, zoomControl: false, attributionControl: false });
  L.control.attribution({ position: rtl ? "bottomleft" : "bottomright" }).addTo(map);
  map.fitBounds(config.bounds);
  if (config.tiles.url) L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution }).addTo(map);
  fetch(config.data.areas, { credentials: "same-origin" })
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

  const charts = JSON.parse(document.getElementById("chart-data").textContent);
  if (window.Chart) drawTrends(charts.trends);
  const data = charts.governorates;
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

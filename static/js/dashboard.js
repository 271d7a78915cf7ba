/* The dashboard's small map (governorates shaded by open requests) and its needs-versus-response
   chart; the tables beside them hold the same figures. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const map = L.map("dashboard-map", { scrollWheelZoom: false, zoomControl: false });
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
          label.textContent = f.properties.name_en + ": " + f.properties.open + " open requests";
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
        { label: "Requested (t)", data: data.map((row) => row.requested), backgroundColor: "#c0262d" },
        { label: "Delivered (t)", data: data.map((row) => row.delivered), backgroundColor: "#1e7b34" },
      ],
    },
    options: {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { beginAtZero: true } },
    },
  });
})();

/* The small map on a settlement's or camp's page. */
(function () {
  "use strict";
  const point = JSON.parse(document.getElementById("point-config").textContent);
  const map = L.map("detail-map", { scrollWheelZoom: false }).setView([point.lat, point.lon], 11);
  if (point.tiles.url) L.tileLayer(point.tiles.url, { attribution: point.tiles.attribution, maxZoom: 18 }).addTo(map);
  L.circleMarker([point.lat, point.lon], { radius: 8, color: "#12324a", fillColor: "#0b6e99", fillOpacity: 0.9 })
    .bindTooltip(document.createTextNode(point.name))
    .addTo(map);
})();

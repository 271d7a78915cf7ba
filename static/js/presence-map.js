/* The presence page's map: a circle per area sized by the organisations present there, ringed red
   where urgent needs have nobody; governorate outlines beneath. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("presence-config").textContent);
  const map = L.map("presence-map", { scrollWheelZoom: false }).fitBounds(config.bounds);
  if (config.tiles.url) L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 18 }).addTo(map);

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    return response.json();
  }

  function tooltip(p) {
    const box = document.createElement("div");
    const name = document.createElement("strong");
    name.textContent = p.name;
    box.append(name);
    const lines = [
      interpolate(ngettext("%s organisation present", "%s organisations present", p.organizations.length), [p.organizations.length]),
      p.organizations.join(", "),
    ];
    if (p.uncovered_needs) {
      lines.push(interpolate(ngettext("%s urgent need nobody covers", "%s urgent needs nobody covers", p.uncovered_needs), [p.uncovered_needs]));
    }
    for (const text of lines.filter(Boolean)) {
      const line = document.createElement("div");
      line.textContent = text;
      box.append(line);
    }
    return box;
  }

  function marker(feature, latlng) {
    const p = feature.properties;
    const present = p.organizations.length;
    return L.circleMarker(latlng, {
      radius: 5 + 4 * Math.sqrt(present),
      color: p.uncovered_needs ? "#b3261e" : "#12324a",
      weight: p.uncovered_needs ? 3 : 1,
      fillColor: present ? "#0b6e99" : "#ffffff",
      fillOpacity: present ? 0.75 : 0.9,
    }).bindTooltip(tooltip(p));
  }

  Promise.all([getJSON(config.data.areas), getJSON(config.presence)])
    .then(([outlines, presence]) => {
      L.geoJSON(outlines, { style: { color: "#7a8793", weight: 1, fill: false }, interactive: false }).addTo(map);
      const layer = L.geoJSON(presence, { pointToLayer: marker }).addTo(map);
      map.getContainer().dataset.areas = String(presence.features.length);
      if (presence.features.length) map.fitBounds(layer.getBounds(), { maxZoom: 9, padding: [20, 20] });
    })
    .catch((error) => {
      const note = document.createElement("p");
      note.className = "error";
      note.textContent = interpolate(gettext("The map data could not be loaded: %s"), [error.message]);
      map.getContainer().after(note);
    });
})();

/* Popups and small DOM helpers for AidTrack's maps. Everything from the server is set with
   textContent, never as HTML: a place named "<img onerror=...>" shows as that text. */
(function () {
  "use strict";

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function number(value) {
    return value === null || value === undefined ? "–" : Number(value).toLocaleString(document.documentElement.lang || "en");
  }

  function names(data) {
    // The name in the page's language first, the other script beside it.
    const arabicFirst = (document.documentElement.lang || "en").startsWith("ar");
    const first = arabicFirst ? data.name_ar || data.name_en : data.name_en || data.name_ar;
    const other = arabicFirst ? data.name_en : data.name_ar;
    const title = el("h3", "popup-title", first);
    if (other && other !== first) {
      const second = el("span", "other-script", other);
      second.dir = "auto";
      title.append(" ", second);
    }
    return title;
  }

  function facts(rows) {
    const list = el("dl", "facts");
    for (const [label, value] of rows) {
      if (value === null || value === undefined || value === "") continue;
      list.append(el("dt", null, label), el("dd", null, value));
    }
    return list;
  }

  function needs(items) {
    if (!items.length) return el("p", "muted", "No open requests.");
    const table = el("table", "data compact");
    const head = el("tr");
    for (const label of ["Need", "Requested", "Delivered", "Gap"]) head.append(el("th", null, label));
    table.append(head);
    for (const item of items) {
      const row = el("tr");
      row.append(el("td", null, item.category), el("td", "num", item.requested + " " + item.unit));
      row.append(el("td", "num", item.delivered), el("td", "num", item.gap));
      table.append(row);
    }
    return table;
  }

  function links(data) {
    const box = el("p", "popup-links");
    const details = el("a", null, "Details");
    details.href = data.url;
    box.append(details);
    if (data.admin_url) {
      const edit = el("a", null, "Edit in admin");
      edit.href = data.admin_url;
      box.append(" · ", edit);
    }
    return box;
  }

  function settlement(data) {
    const box = el("div", "popup");
    box.append(
      names(data),
      facts([
        ["P-code", data.pcode],
        ["Governorate", data.governorate],
        ["Population", number(data.population)],
        ["On the latest list", data.on_latest_list ? "yes" : "no"],
        ["Last listed", data.last_listed],
        ["Last confirmed", data.last_confirmed],
      ]),
      needs(data.needs),
      links(data)
    );
    return box;
  }

  function camp(data) {
    const box = el("div", "popup");
    const population = number(data.population) + (data.population_is_estimate ? " (estimate)" : "");
    box.append(
      names(data),
      facts([
        ["Governorate", data.governorate],
        ["Population", population],
        ["Status", data.status],
        ["Last assessed", data.last_assessed],
      ]),
      needs(data.needs),
      links(data)
    );
    return box;
  }

  window.AidTrack = Object.assign(window.AidTrack || {}, { el: el, number: number, popups: { settlement: settlement, camp: camp } });
})();

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

  const LANGUAGE = document.documentElement.lang || "en";
  const RTL = document.documentElement.dir === "rtl";
  // Latin digits in every language, grouped as the server groups them (Arabic: 1,234.5).
  const NUMBERS = new Intl.NumberFormat(LANGUAGE + "-u-nu-latn", { maximumFractionDigits: 2 });

  function number(value) {
    return value === null || value === undefined ? "–" : NUMBERS.format(Number(value));
  }

  function names(data) {
    // The name in the page's language first, the other script beside it.
    const arabicFirst = LANGUAGE.startsWith("ar");
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
      const dd = el("dd", null, value);
      dd.dir = "auto"; // a Latin name or a P-code inside an Arabic popup keeps its own direction
      list.append(el("dt", null, label), dd);
    }
    return list;
  }

  function needs(items) {
    if (!items.length) return el("p", "muted", gettext("No open requests."));
    const table = el("table", "data compact");
    const head = el("tr");
    const labels = [gettext("Need"), gettext("Requested"), gettext("Delivered"), gettext("Pledged"), gettext("Uncovered")];
    for (const label of labels) {
      head.append(el("th", null, label));
    }
    table.append(head);
    for (const item of items) {
      const row = el("tr");
      row.append(el("td", null, item.category), el("td", "num", item.requested + " " + item.unit));
      row.append(el("td", "num", item.delivered), el("td", "num", item.pledged), el("td", "num", item.uncovered));
      table.append(row);
    }
    return table;
  }

  function links(data) {
    const box = el("p", "popup-links");
    const details = el("a", null, gettext("Details"));
    details.href = data.url;
    box.append(details);
    if (data.admin_url) {
      const edit = el("a", null, gettext("Edit in admin"));
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
        [gettext("P-code"), data.pcode],
        [gettext("Governorate"), data.governorate],
        [gettext("Population"), number(data.population)],
        [gettext("On the latest list"), data.on_latest_list ? gettext("yes") : gettext("no")],
        [gettext("Last listed"), data.last_listed],
        [gettext("Last confirmed"), data.last_confirmed],
        ...(data.restoration || []),
      ]),
      needs(data.needs),
      links(data)
    );
    return box;
  }

  function camp(data) {
    const box = el("div", "popup");
    const population = data.population_is_estimate
      ? interpolate(gettext("%s (estimate)"), [number(data.population)])
      : number(data.population);
    box.append(
      names(data),
      facts([
        [gettext("Governorate"), data.governorate],
        [gettext("Population"), population],
        [gettext("Status"), data.status],
        [gettext("Last assessed"), data.last_assessed],
      ]),
      needs(data.needs),
      links(data)
    );
    return box;
  }

  // An administrative area: its figures (`measures`: key -> label) and links to its tables.
  function area(data, measures, targets) {
    const box = el("div", "popup");
    box.append(names(data));
    if (data.approximate) box.append(el("p", "muted", gettext("Approximate outline, drawn from the area's communities.")));
    const days = data.days_since_delivery;
    box.append(
      facts([
        [gettext("P-code"), data.pcode],
        ...Object.entries(measures).map(([key, label]) => [
          label,
          key === "days_since_delivery" && days === null ? gettext("no delivery recorded") : number(data[key]),
        ]),
      ])
    );
    const links = el("p", "popup-links");
    targets.forEach(([label, href], i) => {
      const link = el("a", null, label);
      link.href = href;
      if (i) links.append(" · ");
      links.append(link);
    });
    box.append(links);
    return box;
  }

  window.AidTrack = Object.assign(window.AidTrack || {}, { el: el, number: number, rtl: RTL, popups: { settlement: settlement, camp: camp, area: area } });
})();

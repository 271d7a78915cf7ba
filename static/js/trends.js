/* A settlement's charts over time: each list figure per list date, staff corrections as rings on
   the day they were made, and tonnes requested and delivered. Chart.js, mirrored on Arabic pages. */
(function () {
  "use strict";
  const trends = JSON.parse(document.getElementById("trends-data").textContent);
  if (!window.Chart) return;
  const rtl = document.documentElement.dir === "rtl";
  const locale = (document.documentElement.lang || "en") + "-u-nu-latn";
  const colours = ["#0b6e99", "#c0262d", "#1e7b34", "#8a5a00", "#6b3fa0"];

  function options() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: locale,
      scales: { x: { reverse: rtl }, y: { beginAtZero: true, position: rtl ? "right" : "left" } },
      plugins: {
        legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
      },
    };
  }

  function draw(figure, labels, datasets) {
    const canvas = figure.querySelector("canvas");
    const chart = new Chart(canvas, { type: "line", data: { labels: labels, datasets: datasets }, options: options() });
    figure.dataset.drawn = String(chart.data.datasets.length);
  }

  for (const figure of document.querySelectorAll("figure.trend")) {
    const name = figure.dataset.chart;
    if (name === "progress") {
      const p = trends.progress;
      draw(figure, p.dates, [
        { label: gettext("Requested (t)"), data: p.requested, borderColor: "#c0262d", stepped: true },
        { label: gettext("Delivered (t)"), data: p.delivered, borderColor: "#1e7b34", stepped: true },
      ]);
      continue;
    }
    const fields = trends.charts[name].figures;
    // The list dates, and the days staff corrected one of this chart's figures.
    const mine = trends.corrections.filter((c) => fields.includes(c.field));
    const days = Array.from(new Set(trends.dates.concat(mine.map((c) => c.date)))).sort();
    const datasets = [];
    fields.forEach((field, i) => {
      const byDay = Object.fromEntries(trends.dates.map((day, j) => [day, trends.figures[field][j]]));
      if (!trends.figures[field].some((value) => value !== null)) return;
      datasets.push({
        label: trends.labels[field],
        data: days.map((day) => (day in byDay ? byDay[day] : null)),
        borderColor: colours[i % colours.length],
        spanGaps: true,
      });
      const corrected = trends.corrections.filter((c) => c.field === field);
      if (corrected.length) {
        const byCorrection = Object.fromEntries(corrected.map((c) => [c.date, c.value]));
        datasets.push({
          label: interpolate(gettext("%s, corrected by staff"), [trends.labels[field]]),
          data: days.map((day) => (day in byCorrection ? byCorrection[day] : null)),
          borderColor: colours[i % colours.length],
          pointRadius: 7,
          pointStyle: "circle",
          backgroundColor: "#ffffff",
          showLine: false,
        });
      }
    });
    if (datasets.length) draw(figure, days, datasets);
    else figure.hidden = true;
  }
})();

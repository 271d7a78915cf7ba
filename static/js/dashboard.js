/* The dashboard's needs-versus-response chart; the table beside it holds the same figures. */
(function () {
  "use strict";
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

// An export being prepared: ask for its progress every second until it is ready or has failed.
(function () {
  "use strict";
  const box = document.getElementById("export");
  if (!box) return;
  const progress = document.getElementById("export-progress");
  const done = document.getElementById("export-done");
  const total = document.getElementById("export-total");
  const badge = document.getElementById("export-status");
  const download = document.getElementById("export-download");
  const waiting = document.getElementById("export-waiting");
  const error = document.getElementById("export-error");
  const numbers = new Intl.NumberFormat(document.documentElement.lang);

  function show(status) {
    progress.value = status.percent;
    done.textContent = numbers.format(status.rows_done);
    total.textContent = numbers.format(status.rows_total);
    badge.textContent = status.label;
    badge.className = "badge " + status.status;
    if (status.download) {
      download.href = status.download;
      download.hidden = false;
    }
    if (status.error) {
      error.textContent = status.error;
      error.hidden = false;
    }
    waiting.hidden = !(status.status === "queued" || status.status === "running");
    return waiting.hidden;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (status) { if (!show(status)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (!waiting.hidden) poll();
})();

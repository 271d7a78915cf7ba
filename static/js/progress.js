// A job the worker runs (an export, an import): ask for its progress every second until it ends.
// The box names its status URL; [data-figure] elements show the status's numbers, the <progress>
// its percent. With data-reload-when-done the page reloads to show the result.
(function () {
  "use strict";
  const box = document.querySelector("[data-progress-url]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const badge = document.querySelector("[data-progress-badge]");
  const waiting = box.querySelector("[data-progress-waiting]");
  const error = box.querySelector("[data-progress-error]");
  const download = box.querySelector("[data-progress-download]");
  const numbers = new Intl.NumberFormat(document.documentElement.lang);
  const going = function (status) { return status === "queued" || status === "running"; };

  function show(status) {
    bar.value = status.percent;
    box.querySelectorAll("[data-figure]").forEach(function (element) {
      const value = status[element.dataset.figure];
      if (value !== undefined) element.textContent = numbers.format(value);
    });
    if (badge) {
      badge.textContent = status.label;
      badge.className = "badge " + status.status;
    }
    if (download && status.download) {
      download.href = status.download;
      download.hidden = false;
    }
    if (error) {
      error.textContent = status.error || "";
      error.hidden = !status.error;
    }
    if (waiting) waiting.hidden = !going(status.status);
    if (!going(status.status) && "reloadWhenDone" in box.dataset) window.location.reload();
    return going(status.status);
  }

  function poll() {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (status) { if (show(status)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (going(box.dataset.progressStatus)) poll();
})();

// Reloads a page that shows a running job's progress (an element with data-refresh-seconds), until the job ends and
// the server stops rendering the attribute. The page also has a link to reload by hand.
(function () {
  var running = document.querySelector("[data-refresh-seconds]");
  if (running) {
    window.setTimeout(function () { window.location.reload(); }, Number(running.dataset.refreshSeconds) * 1000);
  }
})();

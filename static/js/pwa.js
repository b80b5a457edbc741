// The installable portal: registers the service worker (portal/site/pwa.py) and offers "Aggiungi alla schermata
// Home" once (the browser's own prompt, kept until the visitor chooses; the choice is remembered on this device).
(function () {
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js").catch(function () {});
    });
  }
  var OFFERED = "portale-install-offered";
  var box = document.getElementById("install-offer");
  if (!box) {
    return;
  }
  var remembered = function () {
    try { return window.localStorage.getItem(OFFERED) === "1"; } catch (e) { return true; }
  };
  var remember = function () {
    try { window.localStorage.setItem(OFFERED, "1"); } catch (e) { /* private mode: offer again next time */ }
    box.hidden = true;
  };
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    if (remembered()) {
      return;
    }
    box.hidden = false;
    box.querySelector("[data-install]").addEventListener("click", function () {
      event.prompt();
      remember();
    });
    box.querySelector("[data-install-later]").addEventListener("click", remember);
  });
})();

// Posts a form marked data-auto-submit as soon as the page loads (the SAML messages between the portal and the
// identity provider travel in the browser); without JavaScript the visible button does the same.
(function () {
  var form = document.querySelector("form[data-auto-submit]");
  if (form) {
    form.submit();
  }
})();

// While an unlock is checked (seconds of key derivation), say so; the form works the same without this.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var status = form.querySelector("[data-working]");
  if (!status) return;
  status.hidden = false;
  form.setAttribute("aria-busy", "true");
  var button = form.querySelector("button[type=submit]");
  // disabled after the submission has started, so the post is still sent; a second click sends no other
  setTimeout(function () { if (button) button.disabled = true; }, 0);
});
// A page brought back from the back/forward cache shows the form ready again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("[data-working]").forEach(function (status) {
    status.hidden = true;
    var form = status.closest("form");
    form.removeAttribute("aria-busy");
    form.querySelector("button[type=submit]").disabled = false;
  });
});

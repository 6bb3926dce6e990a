// Small behaviours on top of htmx: error swaps, dismissable messages, keyboard shortcuts.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) {
    // Domain errors come back as 422 fragments meant to be shown in place.
    htmx.config.responseHandling = [
      {code: "204", swap: false},
      {code: "[23]..", swap: true},
      {code: "422", swap: true, error: false},
      {code: "[45]..", swap: true, error: true},
    ];
  }
});
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-dismiss-alert]");
  if (button) button.closest(".alert").remove();
  const secret = event.target.closest("[data-copy]");
  if (secret && navigator.clipboard) {
    navigator.clipboard.writeText(secret.dataset.copy);
    secret.title = "Copied";
  }
});

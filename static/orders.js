// Order page: inline confirmations open with the safe choice focused, and close on it.
document.addEventListener("toggle", function (event) {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  const safe = details.querySelector(":scope > .action-body [data-safe-choice]");
  const first = details.querySelector(":scope > .action-body input:not([type=hidden]), :scope > .action-body textarea");
  if (safe) safe.focus();
  else if (first) first.focus();
}, true);
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-close-details]");
  if (!button) return;
  const details = button.closest("details");
  if (details) {
    details.open = false;
    details.querySelector("summary").focus();
  }
});

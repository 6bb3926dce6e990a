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
// The order list: leave empty filter fields out of the URL (and so out of the export link), so that
// both stay short and bookmarkable.
document.addEventListener("htmx:configRequest", function (event) {
  const form = event.detail.elt.closest && event.detail.elt.closest("#order-filters");
  if (!form || event.detail.verb !== "get" || !event.detail.formData) return;
  const data = event.detail.formData;
  const empty = [];
  for (const key of new Set(data.keys())) {
    if (data.getAll(key).every(function (value) { return value === ""; })) empty.push(key);
  }
  empty.forEach(function (key) { data.delete(key); });
});

// The customer list: leave empty filter fields out of the URL, so it stays short and bookmarkable.
document.addEventListener("htmx:configRequest", function (event) {
  const form = event.detail.elt.closest && event.detail.elt.closest("#customer-filters");
  if (!form || event.detail.verb !== "get" || !event.detail.formData) return;
  const data = event.detail.formData;
  const empty = [];
  for (const key of new Set(data.keys())) {
    if (data.getAll(key).every(function (value) { return value === ""; })) empty.push(key);
  }
  empty.forEach(function (key) { data.delete(key); });
});

// Send each form once. A second click while the first request is still on its
// way is ignored, so a slow network cannot save the same thing twice (the
// server also recognises a repeated entry or success).
// A form that responds with a download leaves the page in place, and so does a
// stopped request, so the lock is lifted after a few seconds.
const RESEND_AFTER_MS = 4000;

function release(form) {
  delete form.dataset.sending;
  form.removeAttribute("aria-busy");
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
  // A form with data-confirm records something that cannot be undone.
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  form.setAttribute("aria-busy", "true");
  window.setTimeout(() => release(form), RESEND_AFTER_MS);
});

// A page restored from the browser's back-forward cache must be sendable again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sending]").forEach(release);
});

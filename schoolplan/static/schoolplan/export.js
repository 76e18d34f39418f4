// The download button sends the recipient and period of the preview shown.
// When the form above it shows another recipient or period (changed by the
// user, or restored by the browser on Back), the button would still send the
// old ones, so it is switched off until the preview is shown again.
function previewMatchesForm() {
  const choice = document.querySelector(".plan-export-form");
  const download = document.getElementById("download-pdf")?.form;
  if (!choice || !download) return true;
  const chosen = new FormData(choice);
  return ["audience", "date_from", "date_to"].every(
    (name) => (chosen.get(name) || "") === (download.elements[name]?.value || "")
  );
}

function switchOffIfStale() {
  const button = document.getElementById("download-pdf");
  if (!button || button.disabled || previewMatchesForm()) return;
  button.disabled = true;
  button.textContent = button.dataset.staleLabel;
}

document.addEventListener("change", (event) => {
  if (event.target.closest(".plan-export-form")) switchOffIfStale();
});
window.addEventListener("pageshow", switchOffIfStale);

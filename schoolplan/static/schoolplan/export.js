// The download button sends the recipient and period of the preview shown.
// Once the user picks another recipient or period, the button would still
// send the old ones, so it is switched off until the preview is shown again.
document.addEventListener("change", (event) => {
  if (!event.target.closest(".plan-export-form")) return;
  const button = document.getElementById("download-pdf");
  if (!button || button.disabled) return;
  button.disabled = true;
  button.textContent = button.dataset.staleLabel;
});

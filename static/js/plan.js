// Put the cursor in the entry text when the teacher jumps to the entry form,
// so "Skriv notat" is one click and then typing.
document.addEventListener("click", (event) => {
  const link = event.target.closest('a[href="#new-entry"]');
  if (!link) return;
  const text = document.querySelector("#new-entry textarea");
  if (text) {
    event.preventDefault();
    text.focus();
    text.scrollIntoView({ block: "center" });
  }
});

// Progressive enhancement of the attendance register. It shows the arrival
// time, the reason and the last lesson only where the chosen status needs
// them, and fills in the current time for a late arrival registered today.
// Without this script every control is visible and the register works the same.
(function () {
  "use strict";

  function checkedValue(container) {
    if (!container) {
      return "";
    }
    var input = container.querySelector("input[type=radio]:checked");
    return input ? input.value : "";
  }

  function pad(number) {
    return String(number).padStart(2, "0");
  }

  // The current time is filled in only during the school day. Later in the day
  // the teacher registers from memory, and the server rejects an arrival time
  // after the day's end.
  function fillCurrentTime(wrapper) {
    var input = wrapper && wrapper.querySelector("input[type=time]");
    var form = document.querySelector("[data-register-today]");
    if (!input || input.value || !form) return;
    var now = new Date();
    var clock = pad(now.getHours()) + ":" + pad(now.getMinutes());
    if (clock > form.dataset.dayStarts && clock < form.dataset.dayEnds) {
      input.value = clock;
    }
  }

  function update(row, changed) {
    var morning = checkedValue(row.querySelector("[data-status-group]"));
    var last = checkedValue(row.querySelector("[data-last-group]"));

    row.querySelectorAll("[data-show-for]").forEach(function (element) {
      element.hidden = element.dataset.showFor.split(" ").indexOf(morning) === -1;
    });
    row.querySelectorAll("[data-hide-for]").forEach(function (element) {
      element.hidden = element.dataset.hideFor.split(" ").indexOf(morning) !== -1;
    });
    row.querySelectorAll("[data-show-for-last]").forEach(function (element) {
      element.hidden = element.dataset.showForLast !== last;
    });
    row.classList.toggle("is-missing", morning === "");

    if (changed && changed.checked && changed.value === "late") {
      fillCurrentTime(row.querySelector("[data-show-for~='late']"));
    }
    if (changed && changed.checked && changed.value === "left_early") {
      fillCurrentTime(row.querySelector("[data-show-for-last]"));
    }
  }

  document.querySelectorAll("[data-register-row]").forEach(function (row) {
    update(row, null);
    row.addEventListener("change", function (event) {
      if (event.target.type === "radio") {
        update(row, event.target);
      }
    });
  });
})();

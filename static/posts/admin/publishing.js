// Beside the time a post is scheduled for, in the site's time zone, the same moment in the
// writer's own, when the two differ.
function startScheduleHint() {
  "use strict";
  const input = document.querySelector("input[name=schedule_at]");
  const hint = document.querySelector(".schedule-local");
  if (!input || !hint) {
    return;
  }
  const siteOffset = Number(hint.dataset.siteOffsetMinutes);
  function show() {
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(input.value);
    if (!match) {
      hint.textContent = "";
      return;
    }
    const [year, month, day, hour, minute] = match.slice(1).map(Number);
    const moment = new Date(Date.UTC(year, month - 1, day, hour, minute) - siteOffset * 60000);
    if (-moment.getTimezoneOffset() === siteOffset) {
      hint.textContent = "";
      return;
    }
    hint.textContent =
      "Your time: " +
      moment.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) +
      ".";
  }
  input.addEventListener("input", show);
  show();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startScheduleHint);
} else {
  startScheduleHint();
}

// Hubforce sandbox UI: progressive enhancement only; every form also works without this file.
"use strict";

// Forms marked data-autosave save a choice as soon as it changes (the seed article: "the choice
// saves itself"), without leaving the page; errors appear next to their field.
function autosave(form, control) {
  const status = form.querySelector(".save-status");
  const body = new FormData(form);
  if (status) status.textContent = "Saving…";
  fetch(form.action, { method: "POST", body, headers: { "X-Requested-With": "fetch" } })
    .then((r) => r.json())
    .then((answer) => {
      form.querySelectorAll("[data-error-for]").forEach((el) => { el.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      for (const [name, message] of Object.entries(answer.errors || {})) {
        const slot = form.querySelector(`[data-error-for="${name}"]`);
        if (slot) slot.textContent = message;
        const field = form.querySelector(`[name="${name}"]`);
        if (field) field.setAttribute("aria-invalid", "true");
      }
      if (status) status.textContent = answer.message || (answer.ok ? "Saved." : "Not saved.");
    })
    .catch((err) => { if (status) status.textContent = "Not saved: " + err; });
}

document.addEventListener("change", (event) => {
  const control = event.target;
  const form = control.closest("form[data-autosave]");
  if (form && control.tagName === "SELECT" && !control.closest("fieldset")) autosave(form, control);
});

// A list's processing status: ask again until the fake has finished processing it.
// Each look is an API call, so give up after a minute (a virtual clock may never move by itself).
function pollListStatus(el) {
  let left = 60;
  const tick = () => fetch(el.dataset.poll).then((r) => r.json()).then((s) => {
    if (el.textContent !== s.processingStatus) el.textContent = s.processingStatus;
    const size = document.getElementById("list-size");
    if (size && s.size !== undefined) size.textContent = s.size;
    if (s.processingStatus === "PROCESSING" && --left > 0) setTimeout(tick, 1000);
  });
  if (el.textContent.trim() === "PROCESSING") setTimeout(tick, 1000);
}

// The request journal keeps its rows fresh while "Live updates" is ticked.
function pollJournal(body) {
  const live = document.getElementById("live");
  setInterval(() => {
    if (live && !live.checked) return;
    fetch(body.dataset.poll).then((r) => r.text()).then((html) => { body.innerHTML = html; });
  }, 1500);
}

document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("processing-status");
  if (status) pollListStatus(status);
  const rows = document.getElementById("journal-rows");
  if (rows) pollJournal(rows);
});

// For tests and scripts: the listeners above are in place.
document.documentElement.dataset.ready = "true";

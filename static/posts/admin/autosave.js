// Never lose a word: while a post is edited, its title and text go to the server a couple of
// seconds after typing stops and whenever the tab is hidden, as this tab's autosave (not a
// version, never published). While the server cannot take them (offline, a lapsed session),
// they are kept in this browser instead. Opening the post again offers each text left behind
// that differs from the saved one; leaving with unsaved changes asks first.
// A time of day as the writer's clock shows it, as "14:32".
function clock(date) {
  "use strict";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

function startAutosave() {
  "use strict";
  const body = document.getElementById("id_body");
  if (!body || !body.dataset.autosaveUrl) {
    return;
  }
  const form = body.form;
  const title = document.getElementById("id_title");
  const version = document.getElementById("id_based_on_version");
  const post = body.dataset.post || "";
  const storageKey = "gutbrain-autosave:" + (post || "new");
  const tab =
    window.crypto && crypto.randomUUID
      ? crypto.randomUUID()
      : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  const AFTER_TYPING_MS = 2000;

  const status = document.createElement("p");
  status.className = "autosave-status";
  status.setAttribute("role", "status");
  body.after(status);

  const current = () => ({ title: title ? title.value : "", body: body.value });
  const loaded = current();
  let lastKept = loaded;
  let submitting = false;
  let timer;

  const same = (a, b) => a.title === b.title && a.body === b.body;

  function keepInBrowser(text) {
    try {
      localStorage.setItem(
        storageKey,
        JSON.stringify({ ...text, saved_at: new Date().toISOString() })
      );
      return true;
    } catch (error) {
      return false; // storage full or refused: the server copy is all there is
    }
  }

  async function send(options) {
    clearTimeout(timer);
    const text = current();
    if (same(text, lastKept)) {
      return;
    }
    const data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("post", post);
    data.append("tab", tab);
    data.append("title", text.title);
    data.append("body", text.body);
    data.append("based_on_version", version ? version.value : "");
    let problem = "the server could not be reached";
    try {
      // A lapsed session answers with a redirect to the login page: not followed, a failure.
      const response = await fetch(body.dataset.autosaveUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        keepalive: Boolean(options && options.leaving) && text.body.length < 60000,
      });
      if (response.ok) {
        const answer = await response.json();
        lastKept = text;
        localStorage.removeItem(storageKey);
        status.textContent = "Autosaved at " + answer.saved + ".";
        return;
      }
      if (response.type === "opaqueredirect" || response.status === 403) {
        problem = "you are logged out: log in again in another tab, then keep writing";
      } else {
        const answer = await response.json().catch(() => ({}));
        problem = answer.error || "the server answered " + response.status;
      }
    } catch (error) {
      // offline, or the page is going away
    }
    if (keepInBrowser(text)) {
      lastKept = text;
      status.textContent = "Kept in this browser at " + clock(new Date()) + ": " + problem + ".";
    } else {
      status.textContent = "Not autosaved: " + problem + ".";
    }
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(send, AFTER_TYPING_MS);
  }
  for (const input of [title, body]) {
    if (input) {
      input.addEventListener("input", changed);
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) {
      keepInBrowser(current()); // in case the page is gone before the server answers
      send({ leaving: true });
    }
  });
  form.addEventListener("submit", function () {
    submitting = true;
    keepInBrowser(current()); // if the session lapsed, the login page comes next
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && !same(current(), loaded)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  offerRestores(title, body, storageKey);
}

// "Restore the text you were writing at 14:32?": one offer per text left behind, from the
// server (this writer's tabs, on any machine) and from this browser.
function offerRestores(title, body, storageKey) {
  "use strict";
  const source = document.getElementById("post-autosaves");
  const offers = source ? JSON.parse(source.textContent) : [];
  let stored = null;
  try {
    stored = JSON.parse(localStorage.getItem(storageKey) || "null");
  } catch (error) {
    stored = null;
  }
  // As the server keeps a text: one kind of line ending, no blank lines around it.
  const plain = (text) => text.replace(/\r\n?/g, "\n").replace(/^\n+|\n+$/g, "");
  if (stored && typeof stored.body === "string") {
    const storedTitle = (stored.title || "").trim();
    if (plain(stored.body) === plain(body.value) && storedTitle === (title ? title.value.trim() : "")) {
      localStorage.removeItem(storageKey); // saved since: nothing to offer
    } else if (!offers.some((offer) => plain(offer.body) === plain(stored.body))) {
      offers.unshift({ ...stored, time: clock(new Date(stored.saved_at)), browser: true });
    }
  }
  if (!offers.length) {
    return;
  }
  const box = document.createElement("div");
  box.className = "autosave-offers";
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", "Unsaved text");
  for (const offer of offers) {
    const row = document.createElement("p");
    const question = document.createElement("span");
    question.textContent =
      "Restore the text you were writing at " +
      offer.time +
      "?" +
      (offer.browser ? " (kept in this browser)" : "") +
      (offer.older_version ? " It was written over an earlier version than the one saved now." : "");
    // Its last words, to tell one tab's text from another's.
    const ending = document.createElement("q");
    ending.className = "autosave-ending";
    ending.textContent = "…" + plain(offer.body).slice(-60);
    const restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button";
    restore.textContent = "Restore";
    restore.addEventListener("click", function () {
      if (title) {
        title.value = offer.title;
        title.dispatchEvent(new Event("input", { bubbles: true }));
      }
      body.value = offer.body;
      body.dispatchEvent(new Event("input", { bubbles: true }));
      box.remove();
      body.focus();
    });
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button dismiss";
    dismiss.textContent = "Not now";
    dismiss.addEventListener("click", function () {
      row.remove();
      if (!box.querySelector("p")) {
        box.remove();
      }
    });
    row.append(question, " ", ending, " ", restore, " ", dismiss);
    box.append(row);
  }
  body.form.prepend(box);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startAutosave);
} else {
  startAutosave();
}

// A small search-and-choose panel for the editor: posts to link to, resources to cite. The
// writer types to narrow the list, moves with the arrow keys, chooses with Enter or a click;
// Escape closes it and gives the text back its caret. (The ARIA combobox pattern.)
//
//   openPicker({anchor, label, placeholder, search(query) -> Promise<[{label, detail, value}]>,
//               choose(value), close()})
function openPicker(options) {
  "use strict";
  document.querySelectorAll(".picker").forEach((old) => old.remove());
  const panel = document.createElement("div");
  panel.className = "picker";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", options.label);
  const id = "picker-" + Date.now().toString(36);
  const input = document.createElement("input");
  input.type = "search";
  input.className = "picker-search";
  input.placeholder = options.placeholder;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-label", options.label);
  input.setAttribute("aria-expanded", "true");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", id);
  const list = document.createElement("ul");
  list.className = "picker-options";
  list.id = id;
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", options.label);
  const empty = document.createElement("p");
  empty.className = "picker-empty";
  empty.setAttribute("role", "status");
  panel.append(input, list, empty);
  options.anchor.after(panel);

  let items = [];
  let active = -1;
  let asked = 0;
  let shown = null; // the query the list shows the answer to

  function mark(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, at) => {
      option.setAttribute("aria-selected", String(at === index));
      if (at === index) {
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
  }

  async function refresh() {
    const ask = ++asked;
    const query = input.value.trim();
    let found;
    try {
      found = await options.search(query);
    } catch (error) {
      found = null;
    }
    if (ask !== asked) {
      return; // an answer to an older query
    }
    shown = query;
    items = found || [];
    list.replaceChildren();
    items.forEach((item, index) => {
      const option = document.createElement("li");
      option.id = id + "-" + index;
      option.setAttribute("role", "option");
      option.textContent = item.label;
      if (item.detail) {
        const detail = document.createElement("span");
        detail.className = "picker-detail";
        detail.textContent = " " + item.detail;
        option.append(detail);
      }
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => pick(index));
      list.append(option);
    });
    empty.textContent =
      found === null ? "The search did not answer; try again." : items.length ? "" : "Nothing found.";
    mark(items.length ? 0 : -1);
  }

  function close() {
    panel.remove();
    options.close();
  }
  function pick(index) {
    const item = items[index];
    panel.remove();
    if (item) {
      options.choose(item.value);
    } else {
      options.close();
    }
  }

  let pending;
  input.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (items.length) {
        const step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + items.length) % items.length);
      }
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (shown === input.value.trim()) {
        pick(active);
      } else {
        // Typed faster than the list follows: choose from the answer to what was typed.
        clearTimeout(pending);
        refresh().then(() => pick(active));
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () {
    setTimeout(() => panel.isConnected && !panel.contains(document.activeElement) && close(), 150);
  });
  input.focus();
  refresh();
}

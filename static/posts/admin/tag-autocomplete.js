// Suggests existing tags for the name being typed after the last comma in the tags field.
// The admin loads form scripts in <head>, so wait for the form to exist.
function startTagAutocomplete() {
  "use strict";
  const input = document.getElementById("id_tags");
  if (!input || !input.dataset.autocompleteUrl) {
    return;
  }
  const suggestions = document.createElement("datalist");
  suggestions.id = "id_tags_suggestions";
  input.after(suggestions);
  input.setAttribute("list", suggestions.id);
  input.setAttribute("autocomplete", "off");

  let pending;
  input.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(suggest, 200);
  });

  async function suggest() {
    const names = input.value.split(",");
    const term = names.pop().trim();
    const chosen = names.map((name) => name.trim()).filter(Boolean);
    if (!term) {
      suggestions.replaceChildren();
      return;
    }
    const query = new URLSearchParams({
      term: term,
      app_label: "posts",
      model_name: "post",
      field_name: "tags",
    });
    const response = await fetch(input.dataset.autocompleteUrl + "?" + query, {
      credentials: "same-origin",
    });
    if (!response.ok) {
      return;
    }
    const { results } = await response.json();
    const taken = new Set(chosen.map((name) => name.toLowerCase()));
    // A datalist option replaces the whole value, so each option repeats the names before it.
    const prefix = chosen.length ? chosen.join(", ") + ", " : "";
    suggestions.replaceChildren(
      ...results
        .filter((tag) => !taken.has(tag.text.toLowerCase()))
        .map((tag) => new Option(tag.text, prefix + tag.text))
    );
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startTagAutocomplete);
} else {
  startTagAutocomplete();
}

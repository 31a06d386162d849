// Shows the post being written as readers will see it, refreshed a moment after the author
// stops typing: beside the text on a wide screen, each as tall as the window, with the preview
// following the part being edited; under "Write" and "Preview" tabs on a narrower one. The
// frame is filled by posting the form's fields (resources included, saved or not) to the
// staff-only preview address, with the form's CSRF token.
function startPostPreview() {
  "use strict";
  const body = document.getElementById("id_body");
  if (!body || !body.dataset.previewUrl) {
    return;
  }
  const form = body.form;
  const desk = document.createElement("div");
  desk.className = "writing-desk";
  desk.dataset.showing = "write";
  body.before(desk);

  const tabs = document.createElement("div");
  tabs.className = "writing-tabs";
  tabs.setAttribute("role", "tablist");
  tabs.setAttribute("aria-label", "Text and preview");
  const writePane = document.createElement("div");
  writePane.className = "writing-pane";
  writePane.id = "writing-pane-write";
  const previewPane = document.createElement("div");
  previewPane.className = "writing-pane writing-pane-preview";
  previewPane.id = "writing-pane-preview";

  const frame = document.createElement("iframe");
  frame.name = "post-preview";
  frame.title = "Preview of the post as readers will see it";
  frame.className = "post-preview";
  const heading = document.createElement("p");
  heading.className = "post-preview-heading";
  heading.textContent = "Preview (updates as you type)";
  writePane.append(body);
  previewPane.append(heading, frame);

  const buttons = {};
  for (const [name, label, pane] of [
    ["write", "Write", writePane],
    ["preview", "Preview", previewPane],
  ]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "writing-tab";
    button.id = "writing-tab-" + name;
    button.textContent = label;
    button.setAttribute("role", "tab");
    button.setAttribute("aria-controls", pane.id);
    pane.setAttribute("role", "tabpanel");
    pane.setAttribute("aria-labelledby", button.id);
    button.addEventListener("click", function () {
      show(name);
    });
    buttons[name] = button;
    tabs.append(button);
  }
  function show(name) {
    desk.dataset.showing = name;
    for (const [other, button] of Object.entries(buttons)) {
      button.setAttribute("aria-selected", String(other === name));
    }
  }
  show("write");
  desk.append(tabs, writePane, previewPane);

  const sender = document.createElement("form");
  sender.method = "post";
  sender.action = body.dataset.previewUrl;
  sender.target = frame.name;
  sender.hidden = true;
  document.body.append(sender);

  function field(name, value) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    sender.append(input);
  }
  const value = (id) => (document.getElementById(id) || {}).value || "";
  function refresh() {
    sender.replaceChildren();
    field("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    field("post", body.dataset.post || "");
    field("slug", value("id_slug"));
    field("title", value("id_title"));
    field("summary", value("id_summary"));
    field("body", body.value);
    for (const input of form.querySelectorAll("[name^='resources-']")) {
      if (input.type === "checkbox") {
        if (input.checked) {
          field(input.name, "on");
        }
      } else if (!input.name.includes("__prefix__")) {
        field(input.name, input.value);
      }
    }
    sender.submit();
  }

  // The preview follows the text: scrolled to the same share of its height as the line being
  // edited is of the text.
  function follow() {
    const page = frame.contentDocument && frame.contentDocument.scrollingElement;
    if (!page || !body.value) {
      return;
    }
    const before = body.value.slice(0, body.selectionStart).split("\n").length - 1;
    const lines = body.value.split("\n").length - 1 || 1;
    page.scrollTop = (before / lines) * (page.scrollHeight - page.clientHeight);
  }
  frame.addEventListener("load", follow);
  for (const event of ["keyup", "click", "select"]) {
    body.addEventListener(event, follow);
  }

  let pending;
  function later() {
    clearTimeout(pending);
    pending = setTimeout(refresh, 400);
  }
  for (const id of ["id_title", "id_summary", "id_body"]) {
    const input = document.getElementById(id);
    if (input) {
      input.addEventListener("input", later);
    }
  }
  const resources = document.getElementById("resources-group");
  if (resources) {
    resources.addEventListener("input", later);
    resources.addEventListener("change", later);
  }
  refresh();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startPostPreview);
} else {
  startPostPreview();
}

// Paste references as a reference manager exports them (BibTeX, RIS, CSL-JSON) or as DOIs and
// PubMed ids: the server reads them, and each becomes a new row of the resources below,
// numbered after the last.
function startReferencePaste() {
  "use strict";
  const body = document.getElementById("id_body");
  const group = document.getElementById("resources-group");
  if (!body || !group || !body.dataset.referencesUrl) return;

  const panel = document.createElement("details");
  panel.className = "reference-paste";
  panel.innerHTML =
    "<summary>Add references from BibTeX, RIS, CSL-JSON, DOIs or PubMed ids</summary>" +
    '<label for="reference-paste-text">Paste what Zotero, Mendeley or EndNote exports, or ' +
    "DOIs and PubMed ids separated by spaces.</label>" +
    '<textarea id="reference-paste-text" rows="6"></textarea>' +
    '<p><button type="button" class="button">Add these references</button> ' +
    '<span class="reference-paste-status" role="status"></span></p>';
  group.querySelector("fieldset, h2").before(panel);
  const text = panel.querySelector("textarea");
  const status = panel.querySelector(".reference-paste-status");
  // The admin's own error list look, made only when there is something to say.
  const errors = document.createElement("ul");
  errors.className = "errorlist";

  function rows() {
    return [...group.querySelectorAll(".inline-related:not(.empty-form)")];
  }

  function nextNumber() {
    const numbers = rows()
      .map((row) => parseInt(row.querySelector("input[name$='-number']")?.value, 10))
      .filter((n) => n > 0);
    return numbers.length ? Math.max(...numbers) + 1 : 1;
  }

  function addRow(values, number) {
    group.querySelector(".add-row a").click();
    const row = rows().at(-1);
    const set = (name, value) => {
      const field = row.querySelector(`[name$='-${name}']`);
      if (field && value !== null && value !== undefined) field.value = value;
    };
    set("number", number);
    for (const [name, value] of Object.entries(values)) set(name, value);
  }

  panel.querySelector("button").addEventListener("click", async () => {
    errors.remove();
    errors.replaceChildren();
    status.textContent = "Reading…";
    const data = new FormData();
    data.append("text", text.value);
    data.append("csrfmiddlewaretoken", body.form.querySelector("[name=csrfmiddlewaretoken]").value);
    let answer;
    try {
      const response = await fetch(body.dataset.referencesUrl, { method: "POST", body: data });
      answer = await response.json();
    } catch (error) {
      answer = { errors: ["The references could not be sent; try again."] };
    }
    if (answer.errors) {
      status.textContent = "";
      for (const message of answer.errors) {
        const item = document.createElement("li");
        item.textContent = message;
        errors.append(item);
      }
      panel.append(errors);
      return;
    }
    let number = nextNumber();
    for (const values of answer.resources) addRow(values, number++);
    const count = answer.resources.length;
    status.textContent = `Added ${count} reference${count === 1 ? "" : "s"}: check them, then save.`;
    text.value = "";
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startReferencePaste);
} else {
  startReferencePaste();
}

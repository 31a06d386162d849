// A toolbar and the usual shortcuts over the post's Markdown text area, a font the writer can
// switch between monospace and proportional, and a word count with the reading time as they
// type. Plain JavaScript over the browser's own text area: every change goes through the
// browser's editing ("insertText"), so undo and redo take toolbar actions back like typing.
function startEditor() {
  "use strict";
  const body = document.getElementById("id_body");
  if (!body || !body.classList.contains("markdown-source")) {
    return;
  }
  const form = body.form;
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);
  const mod = mac ? "⌘" : "Ctrl+";

  // Replace the selection (or insert at the caret) as typing would, then select [start, end)
  // counted from where the replacement begins.
  function replace(text, selectFrom, selectTo) {
    body.focus();
    const at = body.selectionStart;
    if (!document.execCommand("insertText", false, text)) {
      body.setRangeText(text, body.selectionStart, body.selectionEnd, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (selectFrom !== undefined) {
      body.setSelectionRange(at + selectFrom, at + selectTo);
    }
  }
  const selected = () => body.value.slice(body.selectionStart, body.selectionEnd);

  function wrap(before, after, placeholder) {
    const text = selected() || placeholder;
    replace(before + text + after, before.length, before.length + text.length);
  }

  // Prefix every line the selection touches (the caret's line if none).
  function prefixLines(prefix) {
    const value = body.value;
    const start = value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    let end = value.indexOf("\n", Math.max(body.selectionEnd - 1, body.selectionStart));
    if (end === -1) {
      end = value.length;
    }
    body.setSelectionRange(start, end);
    const lines = value.slice(start, end).split("\n");
    const numbered = typeof prefix === "function";
    const text = lines.map((line, index) => (numbered ? prefix(index) : prefix) + line).join("\n");
    replace(text, text.length, text.length);
  }

  function nextFootnote() {
    const used = [...body.value.matchAll(/\[\^(\d+)\]/g)].map((match) => Number(match[1]));
    return used.length ? Math.max(...used) + 1 : 1;
  }

  function resourceNumbers() {
    return [...form.querySelectorAll("input[name^='resources-'][name$='-number']")]
      .filter((input) => !input.name.includes("__prefix__") && input.value)
      .map((input) => input.value);
  }

  const actions = [
    ["bold", "Bold", "B", "b", () => wrap("**", "**", "bold text")],
    ["italic", "Italic", "I", "i", () => wrap("*", "*", "italic text")],
    ["heading", "Heading", "H", "alt+2", () => prefixLines("## ")],
    [
      "link",
      "Link",
      "Link",
      "k",
      function () {
        const text = selected() || "link text";
        const link = "[" + text + "](https://)";
        replace(link, text.length + 3, text.length + 11);
      },
    ],
    ["list", "Bulleted list", "•", "shift+8", () => prefixLines("- ")],
    ["numbered", "Numbered list", "1.", "shift+7", () => prefixLines((index) => index + 1 + ". ")],
    ["quote", "Quote", "❝", "shift+9", () => prefixLines("> ")],
    [
      "code",
      "Code",
      "</>",
      "e",
      function () {
        const text = selected();
        if (text.includes("\n")) {
          wrap("```\n", "\n```", "");
        } else {
          wrap("`", "`", "code");
        }
      },
    ],
    [
      "footnote",
      "Footnote",
      "¹",
      "alt+f",
      function () {
        const number = nextFootnote();
        replace("[^" + number + "]");
        const end = body.value.replace(/\s+$/, "").length;
        body.setSelectionRange(end, body.value.length);
        const note = "\n\n[^" + number + "]: ";
        replace(note + "note", note.length, note.length + 4);
      },
    ],
    [
      "citation",
      "Cite a resource",
      "[#]",
      "alt+c",
      function () {
        const number = resourceNumbers()[0] || "1";
        replace("[#" + number + "]", 2, 2 + number.length);
      },
    ],
    [
      "image",
      "Image",
      "Image",
      "alt+i",
      () => replace("![description](image:)", 2, 13),
    ],
  ];

  const toolbar = document.createElement("div");
  toolbar.className = "editor-toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Formatting");
  toolbar.setAttribute("aria-controls", body.id);
  const shortcuts = {};
  for (const [name, label, face, keys, act] of actions) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "editor-button editor-" + name;
    button.textContent = face;
    const shortcut = mod + keys.replace("alt+", mac ? "⌥" : "Alt+").replace("shift+", "Shift+").toUpperCase();
    button.setAttribute("aria-label", label);
    button.title = label + " (" + shortcut + ")";
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", act);
    toolbar.append(button);
    shortcuts[keys] = act;
  }

  const fontKey = "gutbrain-editor-font";
  const font = document.createElement("button");
  font.type = "button";
  font.className = "editor-button editor-font";
  font.textContent = "Proportional font";
  function setFont(proportional) {
    body.classList.toggle("proportional", proportional);
    font.setAttribute("aria-pressed", String(proportional));
    try {
      localStorage.setItem(fontKey, proportional ? "proportional" : "monospace");
    } catch (error) {
      // the choice lasts for this page only
    }
  }
  font.addEventListener("click", () => setFont(!body.classList.contains("proportional")));
  let remembered = null;
  try {
    remembered = localStorage.getItem(fontKey);
  } catch (error) {
    remembered = null;
  }
  setFont(remembered === "proportional");

  const count = document.createElement("span");
  count.className = "editor-count";
  const perMinute = Number(body.dataset.wordsPerMinute) || 230;
  function counted() {
    const words = (body.value.match(/[\p{L}\p{N}_]+/gu) || []).length;
    const minutes = Math.max(1, Math.round(words / perMinute));
    count.textContent =
      words.toLocaleString() + (words === 1 ? " word" : " words") + " · " + minutes + " min read";
  }
  body.addEventListener("input", counted);
  counted();
  toolbar.append(font, count);
  body.before(toolbar);

  body.addEventListener("keydown", function (event) {
    if (!(mac ? event.metaKey : event.ctrlKey)) {
      return;
    }
    // By the key's place, not its character: Shift+8 types "*", and Alt changes letters on a Mac.
    const code = event.code;
    const key = code.startsWith("Key")
      ? code.slice(3).toLowerCase()
      : code.startsWith("Digit")
        ? code.slice(5)
        : event.key.toLowerCase();
    const name = (event.altKey ? "alt+" : "") + (event.shiftKey ? "shift+" : "") + key;
    if (name === "s") {
      event.preventDefault();
      // Saves without changing whether the post is public.
      const save =
        form.querySelector("[name=_update], [name=_draft]") || form.querySelector("[type=submit]");
      form.requestSubmit(save);
    } else if (shortcuts[name]) {
      event.preventDefault();
      shortcuts[name]();
    }
  });
  // Ctrl/Cmd+S from anywhere in the form saves too, not the browser's "save page".
  form.addEventListener("keydown", function (event) {
    if ((mac ? event.metaKey : event.ctrlKey) && event.key.toLowerCase() === "s" && event.target !== body) {
      event.preventDefault();
      form.requestSubmit(form.querySelector("[name=_update], [name=_draft]") || undefined);
    }
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startEditor);
} else {
  startEditor();
}

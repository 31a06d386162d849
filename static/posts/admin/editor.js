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

  // Posts and resources are chosen in a picker (picker.js) opened under the toolbar.
  const linkText = (title) => title.replace(/([\\[\]])/g, "\\$1");
  function linkToPost(typedBrackets) {
    openPicker({
      anchor: toolbar,
      label: "Link to a post",
      placeholder: "Search posts by title",
      search: async function (query) {
        const address = new URL(body.dataset.linkTargetsUrl, window.location.href);
        address.searchParams.set("q", query);
        address.searchParams.set("exclude", body.dataset.post || "");
        const response = await fetch(address, { credentials: "same-origin" });
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        const answer = await response.json();
        return answer.posts.map((post) => ({
          label: post.title,
          detail: post.state ? "(" + post.state + ")" : "",
          value: post,
        }));
      },
      choose: function (post) {
        body.focus();
        if (typedBrackets) {
          body.setSelectionRange(body.selectionStart - 2, body.selectionStart);
        }
        replace("[" + linkText(post.title) + "](post:" + post.slug + ")");
      },
      close: () => body.focus(),
    });
  }

  function resources() {
    const rows = {};
    for (const input of form.querySelectorAll("[name^='resources-']")) {
      const match = /^resources-(\d+)-(number|title|DELETE)$/.exec(input.name);
      if (match) {
        rows[match[1]] = rows[match[1]] || {};
        rows[match[1]][match[2]] = input.type === "checkbox" ? input.checked : input.value;
      }
    }
    return Object.values(rows)
      .filter((row) => row.number && !row.DELETE)
      .sort((a, b) => Number(a.number) - Number(b.number));
  }
  function citeResource() {
    openPicker({
      anchor: toolbar,
      label: "Cite a resource",
      placeholder: "Search the post's resources",
      search: async function (query) {
        const words = query.toLowerCase();
        return resources()
          .filter((row) => (row.number + " " + row.title).toLowerCase().includes(words))
          .map((row) => ({ label: "[" + row.number + "] " + (row.title || ""), value: row.number }));
      },
      choose: function (number) {
        body.focus();
        replace("[#" + number + "]");
      },
      close: () => body.focus(),
    });
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
    ["post-link", "Link to a post", "[[ ]]", "shift+k", () => linkToPost(false)],
    ["citation", "Cite a resource", "[#]", "alt+c", citeResource],
    [
      "image",
      "Image",
      "Image",
      "alt+i",
      () => (images ? images.choose() : replace("![description](image:)", 2, 13)),
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
  body.addEventListener("input", function (event) {
    const caret = body.selectionStart;
    if (event.inputType === "insertText" && body.value.slice(caret - 2, caret) === "[[") {
      linkToPost(true);
    }
  });
  counted();
  toolbar.append(font, count);
  body.before(toolbar);
  // Pasted, dropped and chosen images (images.js).
  const images = window.startImages ? startImages({ body, toolbar, insert: replace }) : null;

  // Ctrl/Cmd+S saves from anywhere in the form (not the browser's "save page"); the other
  // shortcuts act on the text.
  form.addEventListener("keydown", function (event) {
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
      form.requestSubmit(form.querySelector("[name=_update], [name=_draft]") || undefined);
    } else if (event.target === body && shortcuts[name]) {
      event.preventDefault();
      shortcuts[name]();
    }
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startEditor);
} else {
  startEditor();
}

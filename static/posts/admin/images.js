// Images without leaving the post: paste or drop an image into the text, or pick one from the
// gallery of uploaded images. A new image asks for its description, uploads with the Images
// page's checks (its progress shown), and its reference goes in at the caret; a refused file
// says why, in place, and the text is left as it was. Started by editor.js:
//
//   startImages({body, toolbar, insert(text)}) -> {choose()}
function startImages(editor) {
  "use strict";
  const body = editor.body;
  const uploadUrl = body.dataset.imageUploadUrl;
  const choicesUrl = body.dataset.imageChoicesUrl;
  if (!uploadUrl || !choicesUrl) {
    return null;
  }
  const csrf = () => body.form.querySelector("[name=csrfmiddlewaretoken]").value;

  function insertAt(caret, markdown) {
    body.focus();
    body.setSelectionRange(caret.start, caret.end);
    editor.insert(markdown);
  }

  // Ask for the description, then upload; the reference goes where the caret was.
  function describeAndUpload(file) {
    document.querySelectorAll(".image-upload").forEach((old) => old.remove());
    const caret = { start: body.selectionStart, end: body.selectionEnd };
    // Not a form of its own: it sits inside the post's form, which Enter must not submit.
    const panel = document.createElement("div");
    panel.className = "image-upload picker";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Upload an image");
    const id = "image-description-" + Date.now().toString(36);
    panel.innerHTML =
      '<p class="image-upload-file"></p>' +
      '<label for="' + id + '">Description, for readers who cannot see it</label>' +
      '<input type="text" id="' + id + '" maxlength="300" required>' +
      '<progress max="100" value="0" hidden></progress>' +
      '<p class="image-upload-error" role="alert"></p>' +
      '<p class="image-upload-actions"><button type="button" class="button upload">Upload and insert</button> ' +
      '<button type="button" class="button cancel">Cancel</button></p>';
    panel.querySelector(".image-upload-file").textContent =
      (file.name || "Pasted image") + " · " + Math.max(1, Math.round(file.size / 1024)) + " KB";
    const description = panel.querySelector("input");
    const progress = panel.querySelector("progress");
    const error = panel.querySelector(".image-upload-error");
    const close = () => {
      panel.remove();
      body.focus();
    };
    panel.querySelector(".cancel").addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        close();
      } else if (event.key === "Enter" && event.target === description) {
        event.preventDefault();
        upload();
      }
    });
    panel.querySelector(".upload").addEventListener("click", upload);
    function upload() {
      if (!description.value.trim()) {
        error.textContent = "Describe the image for readers who cannot see it.";
        description.focus();
        return;
      }
      const data = new FormData();
      data.append("csrfmiddlewaretoken", csrf());
      data.append("file", file, file.name || "pasted-image");
      data.append("alt_text", description.value.trim());
      const request = new XMLHttpRequest();
      request.open("POST", uploadUrl);
      request.responseType = "json";
      request.upload.addEventListener("progress", function (progressEvent) {
        if (progressEvent.lengthComputable) {
          progress.value = (100 * progressEvent.loaded) / progressEvent.total;
        }
      });
      request.addEventListener("load", function () {
        progress.hidden = true;
        if (request.status === 201 && request.response) {
          panel.remove();
          insertAt(caret, request.response.markdown);
          return;
        }
        const answer = request.response || {};
        error.textContent = answer.errors
          ? "Not uploaded: " + answer.errors.join(" ")
          : "Not uploaded: the server answered " + request.status + " (are you still logged in?).";
      });
      request.addEventListener("error", function () {
        progress.hidden = true;
        error.textContent = "Not uploaded: the server could not be reached. Your text is as it was.";
      });
      error.textContent = "";
      progress.hidden = false;
      request.send(data);
    }
    editor.toolbar.after(panel);
    description.focus();
  }

  function imageIn(transfer) {
    return [...((transfer && transfer.files) || [])].find((file) => file.type.startsWith("image/"));
  }
  body.addEventListener("paste", function (event) {
    const file = imageIn(event.clipboardData);
    if (file) {
      event.preventDefault();
      describeAndUpload(file);
    }
  });
  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && [...event.dataTransfer.types].includes("Files")) {
      event.preventDefault();
    }
  });
  body.addEventListener("drop", function (event) {
    const file = imageIn(event.dataTransfer);
    if (file) {
      event.preventDefault();
      describeAndUpload(file);
    }
  });

  const chooser = document.createElement("input");
  chooser.type = "file";
  chooser.accept = "image/jpeg,image/png,image/webp,image/gif";
  chooser.hidden = true;
  chooser.addEventListener("change", function () {
    if (chooser.files[0]) {
      describeAndUpload(chooser.files[0]);
    }
    chooser.value = "";
  });
  editor.toolbar.append(chooser);

  // The toolbar's Image button: the gallery, with a new upload as its first choice.
  function choose() {
    const caret = { start: body.selectionStart, end: body.selectionEnd };
    openPicker({
      anchor: editor.toolbar,
      label: "Insert an image",
      placeholder: "Search images by description",
      search: async function (query) {
        const address = new URL(choicesUrl, window.location.href);
        address.searchParams.set("q", query);
        const response = await fetch(address, { credentials: "same-origin" });
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        const answer = await response.json();
        return [
          { label: "Upload a new image…", detail: "", value: null },
          ...answer.images.map((image) => ({
            label: image.description,
            detail: image.width + " × " + image.height + " px",
            value: image,
          })),
        ];
      },
      choose: function (image) {
        if (image === null) {
          body.setSelectionRange(caret.start, caret.end);
          chooser.click();
        } else {
          insertAt(caret, image.markdown);
        }
      },
      close: () => body.focus(),
    });
  }
  return { choose: choose };
}

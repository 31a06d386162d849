// Shows the post being written as readers will see it, in a frame below the text, refreshed
// a moment after the author stops typing. The frame is filled by posting the form's fields to
// the staff-only preview address, with the form's CSRF token.
function startPostPreview() {
  "use strict";
  const body = document.getElementById("id_body");
  if (!body || !body.dataset.previewUrl) {
    return;
  }
  const frame = document.createElement("iframe");
  frame.name = "post-preview";
  frame.title = "Preview of the post as readers will see it";
  frame.className = "post-preview";
  const heading = document.createElement("p");
  heading.className = "post-preview-heading";
  heading.textContent = "Preview (updates as you type)";
  body.after(heading, frame);

  const sender = document.createElement("form");
  sender.method = "post";
  sender.action = body.dataset.previewUrl;
  sender.target = frame.name;
  sender.hidden = true;
  const fields = {};
  for (const name of ["csrfmiddlewaretoken", "post", "slug", "title", "summary", "body"]) {
    fields[name] = document.createElement("input");
    fields[name].type = "hidden";
    fields[name].name = name;
    sender.append(fields[name]);
  }
  document.body.append(sender);

  const value = (id) => (document.getElementById(id) || {}).value || "";
  function refresh() {
    fields.csrfmiddlewaretoken.value = document.querySelector(
      "#post_form [name=csrfmiddlewaretoken]"
    ).value;
    fields.post.value = body.dataset.post || "";
    fields.slug.value = value("id_slug");
    fields.title.value = value("id_title");
    fields.summary.value = value("id_summary");
    fields.body.value = body.value;
    sender.submit();
  }

  let pending;
  for (const id of ["id_title", "id_summary", "id_body"]) {
    const input = document.getElementById(id);
    if (input) {
      input.addEventListener("input", function () {
        clearTimeout(pending);
        pending = setTimeout(refresh, 400);
      });
    }
  }
  refresh();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startPostPreview);
} else {
  startPostPreview();
}

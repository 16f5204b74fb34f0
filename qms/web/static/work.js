// The one script of the web workspace: the live preview of a draft procedure while it is edited.
// Everything works without it (the "Refresh preview" button renders the same preview on the server).
(function () {
  "use strict";
  var form = document.querySelector("form.doc-edit");
  if (!form) { return; }
  var body = form.querySelector("textarea[name=body]");
  var target = document.getElementById("preview");
  var token = form.querySelector("input[name=csrf]").value;
  var timer = null;
  function refresh() {
    var data = new URLSearchParams();
    data.set("csrf", token);
    data.set("body", body.value);
    fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      // The server renders Markdown with raw HTML escaped, so its answer is safe to insert.
      .then(function (html) { target.innerHTML = html; })
      .catch(function () { /* keep the last preview */ });
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
}());

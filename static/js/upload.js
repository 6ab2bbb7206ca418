// Forms with big uploads (a batch, a clip): send with XHR so a progress bar can show, go to
// the page the server redirects to, or show the refused form it sent back (its messages).
// The forms work without this script too. Page elements: #upload-progress, #upload-bar,
// #upload-note, #submit-btn, and a wrapper (wrapId) around the form.
window.nstUpload = function (form, {wrapId, checking, onReplaced}) {
  const $ = (id) => document.getElementById(id);
  const note = $("upload-note");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", window.location.href);
  xhr.upload.addEventListener("progress", (p) => {
    if (!p.lengthComputable) return;
    const pct = Math.round(100 * p.loaded / p.total);
    $("upload-progress").classList.remove("d-none");
    $("upload-bar").style.width = pct + "%";
    $("upload-progress").setAttribute("aria-valuenow", pct);
    note.textContent = pct < 100 ? "Uploading… " + pct + "%" : checking;
  });
  xhr.addEventListener("load", () => {
    if (xhr.status < 400 && xhr.responseURL && new URL(xhr.responseURL).pathname !== window.location.pathname) {
      window.location.assign(xhr.responseURL);
      return;
    }
    const fresh = new DOMParser().parseFromString(xhr.responseText, "text/html").getElementById(wrapId);
    if (!fresh) {
      note.textContent = "The server could not take it (error " + xhr.status + ").";
      $("submit-btn").disabled = false;
      return;
    }
    $(wrapId).replaceWith(document.adoptNode(fresh));
    onReplaced();
  });
  xhr.addEventListener("error", () => {
    note.textContent = "The upload did not reach the server; please try again.";
    $("submit-btn").disabled = false;
  });
  $("submit-btn").disabled = true;
  xhr.send(new FormData(form));
};

// The strength slider's label (the batch and clip forms).
window.nstStrengthLabel = function (form) {
  const strength = form.querySelector("input[name=strength]");
  strength.addEventListener("input", () => {
    document.getElementById("strength-value").textContent = Math.round(strength.value * 100) + "%";
  });
};

// The clip form.
(function () {
  const form = () => document.getElementById("clip-form");
  if (!form()) return;
  function bind() {
    form().addEventListener("submit", (e) => {
      e.preventDefault();
      window.nstUpload(form(), {wrapId: "clip-form-wrap", checking: "Checking the clip…", onReplaced: bind});
    });
    window.nstStrengthLabel(form());
  }
  bind();
})();

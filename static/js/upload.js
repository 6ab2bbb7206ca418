// The clip form: upload with a progress bar; a refusal shows the form the server sent back.
(function () {
  const $ = (id) => document.getElementById(id);
  if (!$("clip-form")) return;

  function send(e) {
    e.preventDefault();
    const note = $("upload-note");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", window.location.href);
    xhr.upload.addEventListener("progress", (p) => {
      if (!p.lengthComputable) return;
      const pct = Math.round(100 * p.loaded / p.total);
      $("upload-progress").classList.remove("d-none");
      $("upload-bar").style.width = pct + "%";
      $("upload-progress").setAttribute("aria-valuenow", pct);
      note.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Checking the clip…";
    });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400 && xhr.responseURL && new URL(xhr.responseURL).pathname !== window.location.pathname) {
        window.location.assign(xhr.responseURL);
        return;
      }
      const fresh = new DOMParser().parseFromString(xhr.responseText, "text/html").getElementById("clip-form-wrap");
      if (!fresh) {
        note.textContent = "The server could not take the clip (error " + xhr.status + ").";
        $("submit-btn").disabled = false;
        return;
      }
      $("clip-form-wrap").replaceWith(document.adoptNode(fresh));
      bind();
    });
    xhr.addEventListener("error", () => {
      note.textContent = "The upload did not reach the server; please try again.";
      $("submit-btn").disabled = false;
    });
    $("submit-btn").disabled = true;
    xhr.send(new FormData($("clip-form")));
  }

  function bind() {
    $("clip-form").addEventListener("submit", send);
    const strength = $("clip-form").querySelector("input[name=strength]");
    strength.addEventListener("input", () => {
      $("strength-value").textContent = Math.round(strength.value * 100) + "%";
    });
  }
  bind();
})();

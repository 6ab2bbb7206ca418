// Batch form: drop photos anywhere on the page (they join the file input), count the
// pictures, and upload with a progress bar. The form works without this script too.
(function () {
  const $ = (id) => document.getElementById(id);
  const form = () => $("batch-form");
  const input = () => form().querySelector("input[type=file]");
  if (!form()) return;

  function files() { return Array.from(input().files || []); }

  function refresh() {
    $("file-list").replaceChildren(...files().map((f) => Object.assign(document.createElement("li"),
      {textContent: f.name + " · " + Math.max(1, Math.round(f.size / 1024)) + " KB"})));
    const photos = files().length + form().querySelectorAll("input[name=photos]:checked").length;
    const styles = form().querySelectorAll("input[name=styles]:checked").length;
    const n = photos * styles;
    $("picture-count").textContent = n;
    $("submit-btn").classList.toggle("btn-danger", n > Number(form().dataset.batchMax));
  }

  function add(dropped) {  // the files already chosen, plus the dropped images
    const all = new DataTransfer();
    files().forEach((f) => all.items.add(f));
    Array.from(dropped).filter((f) => f.type.startsWith("image/")).forEach((f) => all.items.add(f));
    input().files = all.files;
    refresh();
  }

  // Dropping works anywhere on the page (registered once; the form may be replaced).
  ["dragenter", "dragover"].forEach((type) => document.addEventListener(type, (e) => {
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes("Files")) return;
    e.preventDefault();
    $("drop-zone").classList.add("drop-active");
  }));
  ["dragleave", "drop"].forEach((type) => document.addEventListener(type, () =>
    $("drop-zone").classList.remove("drop-active")));
  document.addEventListener("drop", (e) => {
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    e.preventDefault();
    add(e.dataTransfer.files);
  });

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
      note.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Checking the photos…";
    });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400 && xhr.responseURL && new URL(xhr.responseURL).pathname !== window.location.pathname) {
        window.location.assign(xhr.responseURL);  // the batch page
        return;
      }
      // Refused: show the form the server sent back, with its messages.
      const fresh = new DOMParser().parseFromString(xhr.responseText, "text/html")
        .getElementById("batch-form-wrap");
      if (!fresh) {
        note.textContent = "The server could not take the batch (error " + xhr.status + ").";
        $("submit-btn").disabled = false;
        return;
      }
      $("batch-form-wrap").replaceWith(document.adoptNode(fresh));
      bind();
    });
    xhr.addEventListener("error", () => {
      note.textContent = "The upload did not reach the server; please try again.";
      $("submit-btn").disabled = false;
    });
    $("submit-btn").disabled = true;
    xhr.send(new FormData(form()));
  }

  function bind() {
    form().addEventListener("change", refresh);
    form().addEventListener("submit", send);
    const strength = form().querySelector("input[name=strength]");
    strength.addEventListener("input", () => {
      $("strength-value").textContent = Math.round(strength.value * 100) + "%";
    });
    refresh();
  }
  bind();
})();

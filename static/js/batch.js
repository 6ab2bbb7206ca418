// Batch form: drop photos anywhere on the page (they join the file input), count the
// pictures; static/js/upload.js sends it with a progress bar.
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

  function bind() {
    form().addEventListener("change", refresh);
    form().addEventListener("submit", (e) => {
      e.preventDefault();
      window.nstUpload(form(), {wrapId: "batch-form-wrap", checking: "Checking the photos…",
                                onReplaced: bind});
    });
    window.nstStrengthLabel(form());
    refresh();
  }
  bind();
})();

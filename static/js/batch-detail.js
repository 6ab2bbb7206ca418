// Batch page: the grid fills in as pictures finish; failed cells say why.
(function () {
  const root = document.getElementById("batch");
  if (!root) return;
  const bar = document.getElementById("batch-bar");
  const total = Number(bar.dataset.total);

  function show(data) {
    document.getElementById("batch-done").textContent = data.done;
    document.getElementById("batch-failed").textContent = data.failed;
    document.getElementById("batch-failed-note").classList.toggle("d-none", !data.failed);
    bar.style.width = Math.round(100 * (data.done + data.failed) / total) + "%";
    document.querySelectorAll(".zip-link").forEach((a) => a.classList.toggle("disabled", !data.done));
    document.getElementById("retry-form").classList.toggle("d-none", !(data.failed && data.finished));
    data.pictures.forEach((p) => {
      const cell = root.querySelector('.batch-cell[data-id="' + p.id + '"]');
      if (!cell || cell.dataset.status === p.status) return;
      cell.dataset.status = p.status;
      const frame = cell.querySelector(".batch-frame");
      if (p.status === "done") {
        const img = new Image();
        img.src = p.thumbnail_url;
        img.alt = cell.querySelector(".card-body").textContent;
        frame.replaceChildren(img);
      } else if (p.status === "failed") {
        frame.replaceChildren(Object.assign(document.createElement("span"),
          {className: "text-danger small p-2 cell-error", textContent: p.error}));
        const retry = document.getElementById("retry-template").content.firstElementChild.cloneNode(true);
        retry.action = p.url + "retry";
        cell.querySelector(".card-body").appendChild(retry);
      }
    });
  }
  bar.style.width = "0%";
  const cells = root.querySelectorAll(".batch-cell");
  const finished = Array.from(cells).filter((c) => c.dataset.status === "done" || c.dataset.status === "failed").length;
  bar.style.width = Math.round(100 * finished / total) + "%";
  if (root.dataset.status === "queued" || root.dataset.status === "running") {
    window.nstPoll(root.dataset.statusUrl, show, {first: 500, factor: 1.4, max: 3000});
  }
})();

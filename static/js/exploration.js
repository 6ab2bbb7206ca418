// "Try every style": fill the grid in as previews are rendered.
(function () {
  const root = document.getElementById("exploration");
  if (!root) return;
  function show(data) {
    data.previews.forEach((p) => {
      const frame = root.querySelector('.explore-frame[data-style="' + p.style + '"]');
      if (frame && !frame.querySelector("img")) {
        const img = new Image();
        img.alt = "";  // the style's name is the text beside it
        img.src = p.url;
        frame.replaceChildren(img);
        frame.closest("button").disabled = false;
      }
    });
    document.getElementById("explore-count").textContent = data.previews.length;
    const ahead = data.queue_position;
    document.getElementById("explore-queue").textContent = ahead === null ? ""
      : ahead === 0 ? " · next in line" : " · " + ahead + " job" + (ahead === 1 ? "" : "s") + " ahead";
    if (data.finished) {  // styles that could not be rendered: no spinner forever
      root.querySelectorAll(".explore-frame .spinner-border").forEach((s) => {
        s.replaceWith(Object.assign(document.createElement("span"),
          {className: "small text-body-secondary", textContent: "—",
           title: "This style could not be rendered on this photo"}));
      });
    }
    if (data.status === "failed") {
      const box = document.getElementById("explore-error");
      box.textContent = data.error;
      box.classList.remove("d-none");
      root.querySelectorAll(".explore-frame .spinner-border").forEach((s) => s.remove());
    }
  }
  if (root.dataset.status !== "done" && root.dataset.status !== "failed") {
    window.nstPoll(root.dataset.statusUrl, show, {first: 400, factor: 1.3, max: 2000});
  }
})();

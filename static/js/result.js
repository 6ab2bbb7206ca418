// Result page: poll the status endpoint until the render finishes, then swap in the
// picture; drive the before/after comparison slider.
(function () {
  const root = document.getElementById("work");
  if (!root) return;
  const $ = (id) => document.getElementById(id);

  const compare = $("compare");
  const range = compare && compare.querySelector(".compare-range");
  if (range) {
    const move = () => compare.style.setProperty("--pos", range.value + "%");
    range.addEventListener("input", move);
    move();
  }

  function fill(id, text) {  // a "How it was made" row that only exists once it is done
    $(id).textContent = text;
    $(id).classList.remove("d-none");
    $(id + "-label").classList.remove("d-none");
  }

  function stopped(message) {
    $("pending").classList.add("d-none");
    $("poll-error-message").textContent = message;
    $("poll-error").classList.remove("d-none");
  }

  function show(data) {
    const badge = root.querySelector("[data-status-badge]");
    if (badge) {
      badge.textContent = data.status_label;
      badge.className = "badge " + ({done: "text-bg-success", failed: "text-bg-danger",
        running: "text-bg-primary"}[data.status] || "text-bg-secondary");
    }
    $("pending-label").textContent = data.status_label + "…";
    const ahead = data.queue_position;
    $("queue-note").textContent = ahead === null || ahead === undefined ? (data.progress || "")
      : ahead === 0 ? "Next in line" : ahead + " job" + (ahead === 1 ? "" : "s") + " ahead of yours";
    window.nstProgress($("render-progress"), data.progress_percent);
    root.dataset.status = data.status;
    if (data.status === "done") {
      $("result-img").src = data.result_url;
      if ($("photo-img")) $("photo-img").src = data.result_url.replace(/image$/, "image?which=photo");
      $("pending").classList.add("d-none");
      $("result").classList.remove("d-none");
      document.querySelectorAll("#downloads .btn").forEach((b) => b.classList.remove("disabled"));
      document.querySelectorAll("form[action$='publish'] button").forEach((b) => { b.disabled = false; });
      $("dimensions").textContent = data.width + " × " + data.height + " px";
      if (data.render_ms) fill("render-time", data.render_ms + " ms");
      if (data.engine) fill("model", data.engine);
    } else if (data.status === "failed") {
      $("pending").classList.add("d-none");
      $("error-message").textContent = data.error;
      $("failed").classList.remove("d-none");
    }
  }

  if (root.dataset.status === "queued" || root.dataset.status === "running") {
    window.nstPoll(root.dataset.statusUrl, show, {first: 500, factor: 1.5, max: 4000,
                                                  onStop: stopped});
  }
})();

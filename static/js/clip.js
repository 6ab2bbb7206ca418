// Clip page: "frame 120 of 360" while it renders, then the player.
(function () {
  const root = document.getElementById("clip");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  function show(data) {
    $("clip-status").textContent = data.status_label;
    const ahead = data.queue_position;
    $("clip-progress").textContent = data.progress || (ahead === null || ahead === undefined
      ? data.status_label : ahead === 0 ? "Next in line" : ahead + " job" + (ahead === 1 ? "" : "s") + " ahead of yours");
    window.nstProgress($("clip-progress-bar"), data.progress_percent);
    if (data.status === "done") {
      $("pending").classList.add("d-none");
      $("clip-video").src = data.video_url;
      $("result").classList.remove("d-none");
      $("download-mp4").classList.remove("disabled");
    } else if (data.status === "failed") {
      $("pending").classList.add("d-none");
      $("error-message").textContent = data.error;
      $("failed").classList.remove("d-none");
    }
  }
  if (root.dataset.status === "queued" || root.dataset.status === "running") {
    window.nstPoll(root.dataset.statusUrl, show, {first: 500, factor: 1.3, max: 2000});
  }
})();

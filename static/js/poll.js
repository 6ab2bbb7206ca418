// Poll a JSON status URL with a growing delay until the answer says it is finished.
// A 404 (the picture was deleted) or another error answer stops the polling and calls
// onStop with a sentence to show; a 503 (the site is briefly unavailable) or a network
// blip is tried again, more slowly.
window.nstPoll = function (url, onData, {first = 400, factor = 1.4, max = 3000, onStop} = {}) {
  let delay = first;
  const stop = onStop || (() => {});
  async function tick() {
    try {
      const response = await fetch(url, {headers: {Accept: "application/json"}});
      if (response.ok) {
        const data = await response.json();
        onData(data);
        if (data.finished) return;
      } else if (response.status === 404) {
        return stop("This picture no longer exists: it may have been deleted.");
      } else if (response.status !== 503) {
        return stop("The server could not say how this is going (error " + response.status +
                    "). Reload the page to try again.");
      }
    } catch (e) { /* a network blip: try again */ }
    delay = Math.min(delay * factor, max);
    setTimeout(tick, delay);
  }
  tick();
};

// A <progress> bar for a render that counts ("tile 12 of 48"): shown while it has a figure.
window.nstProgress = function (bar, percent) {
  if (!bar) return;
  const known = percent !== null && percent !== undefined;
  bar.classList.toggle("d-none", !known);
  if (known) {
    bar.value = percent;
    bar.textContent = percent + "%";
  }
};

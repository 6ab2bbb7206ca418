// Poll a JSON status URL with a growing delay until the answer says it is finished.
window.nstPoll = function (url, onData, {first = 400, factor = 1.4, max = 3000} = {}) {
  let delay = first;
  async function tick() {
    try {
      const response = await fetch(url, {headers: {Accept: "application/json"}});
      if (response.ok) {
        const data = await response.json();
        onData(data);
        if (data.finished) return;
      }
    } catch (e) { /* a network blip: try again */ }
    delay = Math.min(delay * factor, max);
    setTimeout(tick, delay);
  }
  tick();
};

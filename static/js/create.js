// Create page: live strength value, preview of the chosen file, one submit only.
(function () {
  const form = document.getElementById("create-form");
  if (!form) return;
  const strength = form.querySelector("input[name=strength]");
  const out = document.getElementById("strength-value");
  if (strength && out) {
    const show = () => { out.textContent = Math.round(strength.value * 100) + "%"; };
    strength.addEventListener("input", show);
    show();
  }
  const file = form.querySelector("input[name=photo_file]");
  const preview = document.getElementById("upload-preview");
  if (file && preview) {
    file.addEventListener("change", () => {
      const f = file.files && file.files[0];
      if (!f) { preview.classList.add("d-none"); return; }
      preview.src = URL.createObjectURL(f);
      preview.classList.remove("d-none");
      form.querySelectorAll("input[name=photo]").forEach((r) => { r.checked = false; });
    });
    form.querySelectorAll("input[name=photo]").forEach((r) => r.addEventListener("change", () => {
      file.value = ""; preview.classList.add("d-none");
    }));
  }
  form.addEventListener("submit", () => {
    const btn = document.getElementById("submit-btn");
    btn.disabled = true;
    btn.innerHTML = '<span class="spinner-border spinner-border-sm me-2"></span>Uploading…';
  });
})();

// web/series_dialog.js: the series table shown before a DICOM set is classified. One row per
// series (number, description, study, modality, slices, matrix, pixel spacing); the series the
// reader chose by itself (the only one, or the one T1) is preselected.
//
//   const index = await chooseSeries(listing, "3 files");   // 0-based, or null when cancelled
//
// Descriptions are the files' StudyDescription / SeriesDescription, never a patient field; they are
// set as text, never as HTML.

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
  return td;
}

function seriesRow(s, i, checked) {
  const tr = document.createElement("tr");
  const radio = document.createElement("input");
  Object.assign(radio, { type: "radio", name: "alzscan-series", value: String(i), checked });
  radio.setAttribute("aria-label", `series ${s.number >= 0 ? s.number : i + 1}`);
  cell(tr, "").append(radio);
  cell(tr, s.number >= 0 ? String(s.number) : "–");
  cell(tr, s.description || "(no description)");
  cell(tr, s.study || "");
  cell(tr, s.modality || "");
  cell(tr, String(s.frames));
  cell(tr, `${s.columns}×${s.rows}`);
  cell(tr, s.spacing[0] > 0 ? `${s.spacing[1].toFixed(2)}×${s.spacing[0].toFixed(2)} mm` : "–");
  tr.addEventListener("click", () => { radio.checked = true; });
  return tr;
}

function table(listing) {
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const h of ["", "#", "Series", "Study", "Modality", "Slices", "Matrix", "Pixel spacing"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  const body = t.createTBody();
  const chosen = listing.chosen >= 0 ? listing.chosen : 0;
  listing.series.forEach((s, i) => body.append(seriesRow(s, i, i === chosen)));
  return t;
}

export function chooseSeries(listing, what) {
  const dialog = document.createElement("dialog");
  dialog.id = "series-dialog";
  dialog.setAttribute("aria-label", "DICOM series");
  const title = document.createElement("h2");
  title.textContent = `DICOM: ${listing.series.length} series in ${what}`;
  const note = document.createElement("p");
  note.textContent = (listing.chosen >= 0 ? "The T1 series is preselected. " : "Choose the T1 series (the model knows T1 brains). ") +
    (listing.skipped > 0 ? `${listing.skipped} file(s) hold no image and were skipped.` : "");
  const form = document.createElement("form");
  form.method = "dialog";
  const classify = Object.assign(document.createElement("button"), { type: "submit", value: "classify", textContent: "Classify" });
  const cancel = Object.assign(document.createElement("button"), { type: "submit", value: "cancel", textContent: "Cancel" });
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.append(cancel, classify);
  form.append(table(listing), buttons);
  dialog.append(title, note, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const picked = form.querySelector("input[name=alzscan-series]:checked");
      dialog.remove();
      resolve(dialog.returnValue === "classify" && picked ? Number(picked.value) : null);
    });
    dialog.showModal();
    classify.focus();
  });
}

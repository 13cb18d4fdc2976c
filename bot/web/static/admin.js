// The staff dashboard's live parts: the poll chart and broadcast progress refresh themselves,
// and dangerous buttons ask first. Served as a file so the page can forbid inline scripts.
"use strict";

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function every(seconds, work) {
  const tick = async () => {
    let again = true;
    try { again = (await work()) !== false; } catch (error) { console.warn(error); }
    if (again) setTimeout(tick, seconds * 1000);
  };
  setTimeout(tick, seconds * 1000);
}

function liveChart(chart) {
  every(2, async () => {
    const results = await fetchJson(chart.dataset.results);
    document.getElementById("ballots").textContent = results.ballots;
    for (const row of chart.querySelectorAll(".row")) {
      const count = results.counts[row.dataset.position] || 0;
      const share = results.ballots ? (100 * count) / results.ballots : 0;
      row.querySelector(".count").textContent = count;
      row.querySelector(".fill").style.width = `${share.toFixed(1)}%`;
    }
  });
}

function liveProgress(bar) {
  every(1, async () => {
    const progress = await fetchJson(bar.dataset.progress);
    bar.querySelector(".fill").style.width = `${progress.percent}%`;
    bar.setAttribute("aria-valuenow", progress.percent);
    document.getElementById("percent").textContent = progress.percent;
    for (const key of ["total", "sent", "in_chat", "failed", "unreachable"]) {
      document.getElementById(key).textContent = progress[key];
    }
    return progress.percent < 100;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-results]").forEach(liveChart);
  document.querySelectorAll("[data-progress]").forEach(liveProgress);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

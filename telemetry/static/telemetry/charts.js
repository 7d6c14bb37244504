// Telemetry charts: data from the page's JSON block, labels from data attributes (no HTML strings).
(function () {
  "use strict";
  const root = document.getElementById("telemetry-charts");
  const source = document.getElementById("telemetry-data");
  if (!root || !source || typeof echarts === "undefined") { return; }
  const data = JSON.parse(source.textContent);
  const label = root.dataset;
  const at = (p, key) => [p.t, p[key]];
  const line = (name, points) => ({ name: name, type: "line", showSymbol: false, connectNulls: false, data: points });
  const specs = {
    soc: [line(label.soc, data.series.map((p) => at(p, "soc_pct")))],
    voltage: [line(label.voltage, data.series.map((p) => at(p, "voltage_v"))),
              line(label.current, data.series.map((p) => at(p, "current_a")))],
    temperature: [line(label.tmax, data.series.map((p) => at(p, "max_temp_c"))),
                  line(label.tmin, data.series.map((p) => at(p, "min_temp_c")))],
    soh: [Object.assign(line(label.soh, data.soh.map((p) => [p.t, Math.round(p.soh * 1000) / 10])), { showSymbol: true })],
  };
  const charts = [];
  root.querySelectorAll(".telemetry-chart").forEach((el) => {
    const series = specs[el.dataset.chart] || [];
    if (!series.some((s) => s.data.length)) {
      const note = document.createElement("p");
      note.className = "text-muted p-3";
      note.textContent = label.empty;
      el.style.height = "auto";
      el.appendChild(note);
      return;
    }
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: series.map((s) => s.name) },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "time" },
      yAxis: el.dataset.chart === "voltage" ? { type: "value", scale: true } : { type: "value", scale: true },
      series: series,
    });
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();

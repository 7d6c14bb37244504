/* Price history of the guidance (reference price, range) with the deals and outliers, from the
   "history-data" and "trade-data" JSON scripts. Labels come from the script tag's data attributes. */
(function () {
  "use strict";
  var cfg = document.currentScript.dataset;
  var history = JSON.parse(document.getElementById("history-data").textContent);
  var trades = JSON.parse(document.getElementById("trade-data").textContent);
  var chart = echarts.init(document.getElementById("price-chart"));
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: [cfg.labelReference, cfg.labelRange, cfg.labelDeals, cfg.labelOutliers]},
    xAxis: {type: "time"},
    yAxis: {type: "value", scale: true, name: cfg.unit},
    series: [
      {name: cfg.labelReference, type: "line", step: "end", data: history.map(function (p) { return [p.date, p.price]; })},
      {name: cfg.labelRange, type: "line", step: "end", lineStyle: {type: "dashed", opacity: 0.5},
       data: history.filter(function (p) { return p.high; }).map(function (p) { return [p.date, p.high]; })},
      {name: cfg.labelDeals, type: "scatter",
       data: trades.filter(function (t) { return !t.outlier; }).map(function (t) { return [t.date, t.price, t.lot]; })},
      {name: cfg.labelOutliers, type: "scatter", symbol: "triangle", symbolSize: 12, itemStyle: {color: "#c0392b"},
       data: trades.filter(function (t) { return t.outlier; }).map(function (t) { return [t.date, t.price, t.lot]; })}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

/* A battery's state-of-health curve: model history, projection and its band (from the "curve-data" JSON
   script). Labels come from the script tag's data attributes. */
(function () {
  "use strict";
  var cfg = document.currentScript.dataset;
  var data = JSON.parse(document.getElementById("curve-data").textContent);
  var pct = function (v) { return +(v * 100).toFixed(2); };
  var past = data.curve.filter(function (p) { return !p.projected; }).map(function (p) { return [p.age, pct(p.soh)]; });
  var future = data.curve.filter(function (p) { return p.projected; });
  var last = past[past.length - 1];
  var proj = (last ? [last] : []).concat(future.map(function (p) { return [p.age, pct(p.soh)]; }));
  var low = future.map(function (p) { return [p.age, pct(p.low)]; });
  var high = future.map(function (p) { return [p.age, pct(p.high)]; });
  var chart = echarts.init(document.getElementById("curve"));
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: [cfg.labelHistory, cfg.labelProjection, cfg.labelBand]},
    xAxis: {type: "value", name: cfg.labelAge, nameLocation: "middle", nameGap: 28, max: function (v) { return Math.ceil(v.max); }},
    yAxis: {type: "value", name: "SOH %", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10); }, max: 100},
    series: [
      {name: cfg.labelHistory, type: "line", showSymbol: false, data: past,
       markPoint: {data: [{coord: [data.age, pct(data.soh)], value: (data.soh * 100).toFixed(1)}]}},
      {name: cfg.labelProjection, type: "line", showSymbol: false, lineStyle: {type: "dashed"}, data: proj,
       markLine: {symbol: "none", data: [{yAxis: data.eol * 100, name: "EOL"}], label: {formatter: "EOL {c}%"}}},
      {name: cfg.labelBand, type: "line", showSymbol: false, lineStyle: {type: "dotted", width: 1}, data: low},
      {name: cfg.labelBand, type: "line", showSymbol: false, lineStyle: {type: "dotted", width: 1}, data: high}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

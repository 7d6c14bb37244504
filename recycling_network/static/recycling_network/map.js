/* Offline map of Beijing, Tianjin and Hebei with the published service points (R-PUBLIC).
   Settings come from the script tag's data attributes and the points from the "map-points" JSON script.
   Tooltips are built as DOM text: a point's name and address are data entered by enterprises, never markup. */
(function () {
  "use strict";
  var cfg = document.currentScript.dataset;
  var el = document.getElementById("sp-map");
  if (!el || typeof echarts === "undefined") { return; }
  var points = JSON.parse(document.getElementById("map-points").textContent);
  var geoUrls = ["beijing", "tianjin", "hebei"].map(function (f) { return cfg.geoBase + f + ".json"; });
  var kinds = {
    fixed: {label: cfg.labelFixed, color: "#0b63b6", symbol: "circle"},
    mobile: {label: cfg.labelMobile, color: "#f08c00", symbol: "triangle"},
    comprehensive: {label: cfg.labelComprehensive, color: "#2b8a3e", symbol: "diamond"},
    hub: {label: cfg.labelHub, color: "#c92a2a", symbol: "pin"}
  };
  var center = el.dataset.center ? JSON.parse(el.dataset.center) : null;

  function tooltip(p) {
    var box = document.createElement("div");
    var name = document.createElement("b");
    name.textContent = p.name || "";
    box.appendChild(name);
    if (p.seriesType === "scatter" && p.data && p.data.address) {
      var address = document.createElement("div");
      address.textContent = p.data.address;
      box.appendChild(address);
    }
    return box;
  }

  Promise.all(geoUrls.map(function (u) { return fetch(u).then(function (r) { return r.json(); }); }))
    .then(function (parts) {
      // The three files share ECharts' compressed encoding; one collection keeps one map and one zoom.
      var merged = {type: "FeatureCollection", UTF8Encoding: true, features: [].concat.apply([], parts.map(function (p) { return p.features; }))};
      echarts.registerMap("jjj", merged);
      var chart = echarts.init(el, null, {renderer: "canvas"});
      var series = Object.keys(kinds).map(function (kind) {
        return {
          name: kinds[kind].label, type: "scatter", coordinateSystem: "geo", symbol: kinds[kind].symbol,
          symbolSize: kind === "hub" ? 22 : 11, itemStyle: {color: kinds[kind].color, borderColor: "#fff", borderWidth: 1},
          data: points.filter(function (p) { return p.kind === kind; }), zlevel: 2
        };
      });
      chart.setOption({
        tooltip: {trigger: "item", formatter: tooltip},
        legend: {bottom: 4, left: "center", textStyle: {fontSize: 12}},
        geo: {
          map: "jjj", roam: true, layoutCenter: ["50%", "48%"], layoutSize: "95%",
          center: center || undefined, zoom: center ? 3 : 1, scaleLimit: {min: 0.8, max: 40},
          itemStyle: {areaColor: "#eef3f8", borderColor: "#8aa4c0", borderWidth: 0.8},
          emphasis: {itemStyle: {areaColor: "#d6e6f5"}, label: {show: true, fontSize: 11}},
          label: {show: false}
        },
        series: series
      });
      chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
      chart.on("finished", function () { el.dataset.ready = "1"; });
      window.addEventListener("resize", function () { chart.resize(); });
    })
    .catch(function (err) { el.dataset.ready = "error"; el.textContent = cfg.labelError + " " + err; });
})();

/* Dashboard charts: each [data-chart] element names a JSON script with an ECharts option. Data items with a
   "link" open the rows behind them on click. Re-run after htmx swaps in filtered content. */
(function () {
  "use strict";
  var geoBase = document.currentScript.dataset.geoBase || "/static/vendor/geo/";
  var registered = {};

  function loadMap(name, files) {
    if (registered[name]) return registered[name];
    registered[name] = Promise.all(files.map(function (f) {
      return fetch(geoBase + f + ".json").then(function (r) { return r.json(); });
    })).then(function (parts) {
      var merged = {type: "FeatureCollection", UTF8Encoding: true, features: []};
      parts.forEach(function (p) { merged.features = merged.features.concat(p.features); });
      echarts.registerMap(name, merged);
    });
    return registered[name];
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.chart);
    if (!source) return;
    var option = JSON.parse(source.textContent);
    if (navigator.webdriver) option.animation = false;  // automated screenshots capture the final state
    if (option.tooltipLabels) {
      // Series that share a legend name (on time / late of one event) are told apart by their bars' labels;
      // empty bars are left out of the tooltip.
      option.tooltip.formatter = function (items) {
        // Built as DOM text: labels are organisation and place names, never markup.
        var box = document.createElement("div");
        var head = document.createElement("div");
        head.textContent = items.length ? items[0].axisValueLabel : "";
        box.appendChild(head);
        items.forEach(function (p) {
          if (!p.value) return;
          var line = document.createElement("div");
          var marker = document.createElement("span");
          marker.className = "chart-marker";
          marker.style.backgroundColor = typeof p.color === "string" ? p.color : "";
          var value = document.createElement("b");
          value.textContent = p.value;
          line.appendChild(marker);
          line.appendChild(document.createTextNode(((p.data && p.data.label_text) || p.seriesName) + ": "));
          line.appendChild(value);
          box.appendChild(line);
        });
        return box;
      };
    }
    var old = echarts.getInstanceByDom(el);
    if (old) old.dispose();
    var render = function () {
      var chart = echarts.init(el, null, {renderer: "canvas"});
      chart.setOption(option);
      chart.on("click", function (p) {
        var link = p.data && p.data.link;
        if (link) window.location.href = link;
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.ready = "1";
    };
    if (option.mapName) {
      loadMap(option.mapName, option.geoFiles).then(render);
    } else {
      render();
    }
  }

  function init(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
})();

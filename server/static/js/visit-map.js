// The visit map: the points /visits/map.json gives for the page's filters, clustered (Leaflet.markercluster),
// coloured by review state or risk, each opening its visit. Text comes from the page (translated there) and
// is set with textContent, never as HTML.
(function () {
  "use strict";
  var element = document.getElementById("visit-map");
  if (!element || typeof L === "undefined") { return; }
  var COLOURS = {
    state: { received: "#1565c0", approved: "#2e7d32", has_issues: "#8a5300", rejected: "#c62828", edited: "#6a1b9a" },
    risk: { high: "#c62828", medium: "#8a5300", low: "#2e7d32", "": "#616e7c" }
  };
  var map = L.map(element, { attributionControl: false }).setView([25.04, 102.71], 9);  // Kunming until points come
  window.lastmeterAddTiles(map, element);
  var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, animate: false });
  map.addLayer(cluster);
  var select = document.getElementById("colour-by");
  var points = [];

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.title || point.time;
    box.appendChild(link);
    [point.station + " · " + point.time, point.state_label + (point.risk_label ? " · " + point.risk_label : "")]
      .forEach(function (text) { var line = document.createElement("div"); line.textContent = text; box.appendChild(line); });
    return box;
  }

  function draw() {
    var by = select.value;
    cluster.clearLayers();
    cluster.addLayers(points.map(function (point) {
      var colour = COLOURS[by][by === "state" ? point.state : point.risk] || "#616e7c";
      var marker = L.circleMarker([point.lat, point.lon], { radius: 7, color: "#ffffff", weight: 2, fillColor: colour, fillOpacity: 0.9 });
      marker.bindPopup(popup(point));
      marker.options.instanceUrl = point.url;
      return marker;
    }));
    document.getElementById("legend-state").hidden = by !== "state";
    document.getElementById("legend-risk").hidden = by !== "risk";
  }

  function describe(body) {
    var count = document.getElementById("map-count");
    var text = body.total === 0 ? count.dataset.empty
      : body.shown < body.total ? count.dataset.capped.replace("{limit}", body.limit).replace("{total}", body.total)
      : count.dataset.shown.replace("{shown}", body.shown);
    count.textContent = text;
  }

  fetch(element.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (body) {
      points = body.points;
      draw();
      describe(body);
      if (points.length) { map.fitBounds(cluster.getBounds(), { maxZoom: 16, padding: [20, 20], animate: false }); }
      element.classList.add("ready");
    });
  select.addEventListener("change", draw);
})();

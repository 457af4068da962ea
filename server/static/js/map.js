// The submission's GPS point on a map. No inline script (the page's CSP forbids it): the point, the tile
// layers and their attribution come from the #map element's data attributes (server/web/maps.py). Without
// tiles the map still shows the point and its accuracy circle on a blank background, and the page says why.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
  var accuracy = parseFloat(element.dataset.accuracy) || 0;
  var map = L.map(element, { attributionControl: false }).setView(point, 16);
  window.lastmeterAddTiles(map, element);
  L.circleMarker(point, { radius: 8, color: "#c62828", weight: 3, fillOpacity: 0.6 }).addTo(map);
  if (accuracy > 0) {
    L.circle(point, { radius: accuracy, color: "#c62828", weight: 1, fillOpacity: 0.1 }).addTo(map);
  }
  element.classList.add("ready");
})();

// The tile layers a map element names (data-layers: [{url, subdomains, maxZoom}], data-attribution), shared
// by map.js and visit-map.js. 天地图 has two layers (the map and its labels); the attribution is shown once.
(function () {
  "use strict";
  window.lastmeterAddTiles = function (map, element) {
    var layers = JSON.parse(element.dataset.layers || "[]");
    if (layers.length) {
      L.control.attribution({ prefix: false }).addAttribution(element.dataset.attribution || "").addTo(map);
    }
    layers.forEach(function (layer) {
      L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", maxZoom: layer.maxZoom || 18 }).addTo(map);
    });
    return layers.length > 0;
  };
})();

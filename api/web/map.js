// The route map: Leaflet served by the app; tiles only when the service configures a URL.
import { t } from "./i18n.js";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

let map = null;
let layer = null;

/** Create the map once; tiles from `config.tile_url` when set, else a plain background. */
export function initMap(container, config, note) {
  if (map || typeof L === "undefined") return;
  map = L.map(container, { zoomSnap: 0.25, preferCanvas: false });
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
    note.textContent = "";
  } else {
    container.classList.add("plain");
    note.textContent = t("no_tiles");
  }
  map.setView([31.2, 121.45], 10);
  layer = L.layerGroup().addTo(map);
}

/** Draw each route from home through its visits and back, one colour per engineer. */
export function drawRoutes(routes, engineers, requests, only, onOpen) {
  if (!map) return;
  layer.clearLayers();
  const bounds = [];
  routes.forEach((route, i) => {
    if (only && route.engineer_id !== only) return;
    const engineer = engineers.get(route.engineer_id);
    const home = engineer ? [engineer.home_lat, engineer.home_lon] : null;
    const points = route.stops.map((s) => requests.get(s.request_id)).filter((r) => r && r.lat != null).map((r) => [r.lat, r.lon]);
    if (!points.length) return;
    const colour = COLOURS[i % COLOURS.length];
    const way = home ? [home, ...points, home] : points;
    L.polyline(way, { color: colour, weight: 3, opacity: 0.8 }).bindTooltip(route.engineer_id).addTo(layer);
    if (home) L.circleMarker(home, { radius: 6, color: colour, fillOpacity: 1 }).bindTooltip(`${t("home")} ${route.engineer_id}`).addTo(layer);
    route.stops.forEach((stop, n) => {
      const r = requests.get(stop.request_id);
      if (!r || r.lat == null) return;
      const marker = L.circleMarker([r.lat, r.lon], { radius: 5, color: colour, fillColor: r.priority === "emergency" ? "#c00" : "#fff", fillOpacity: 1 });
      marker.bindTooltip(`${n + 1}. ${stop.request_id}`).on("click", () => onOpen(stop.request_id)).addTo(layer);
    });
    bounds.push(...way);
  });
  if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
}

/** Leaflet needs a nudge after its container becomes visible. */
export function refreshMap() {
  if (map) map.invalidateSize();
}

// Entry point of the dashboard (loaded as a module: no inline script anywhere, CSP-friendly).
import { startStrip } from './strip.js';
import { startCluster } from './cluster.js';
import { startItems } from './items.js';
import { startMetrics } from './metrics.js';

const footer = document.getElementById('footer-text');
let footerSet = false;

startStrip({
  onInstanceInfo(info) {
    if (footerSet || !info) return;
    footerSet = true;
    footer.textContent = `triad ${info.version ?? ''} · dashboard polling /api/instance, /api/cluster and /api/items`;
  },
});
startCluster();
startItems();
startMetrics();

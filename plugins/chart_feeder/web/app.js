// upws chart page: candles + volume for one code and interval, streamed from
// the chart_feeder plugin over a WebSocket. Plain script, no build step.
//
// window.chartState exposes what the page shows (for people in the console
// and for the browser test): socket and feed state, the selection, the last
// bar as rendered by the chart, the last trade, and update timings.
'use strict';

(function () {
  const LWC = window.LightweightCharts;
  const RETRY_MIN_MS = 500;
  const RETRY_MAX_MS = 5000;
  const LAG_SAMPLES = 50;

  const state = {
    socket: 'connecting', // page <-> plugin: connecting | open | offline
    retryInMs: 0,
    conn: 'connecting',   // host <-> exchange: connecting | live | reconnecting | gap
    connSince: 0,
    gap: null,
    codes: [],
    intervals: [],
    history: 0,
    code: null,
    interval: null,
    candles: 0,           // bars in the chart for the current selection
    last: null,           // the newest bar, read back from the chart
    lastTrade: null,      // {price, seq, ts} of the code
    histories: 0,
    updates: 0,
    hellos: 0,
    lags: [],             // ms from trade time to bar applied, per new trade
    error: null,
    library: !!LWC,
  };
  window.chartState = state;

  const el = (id) => document.getElementById(id);
  const codeSel = el('code');
  const intervalSel = el('interval');

  // ---- chart ----------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, '0');
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  // Buckets are UTC-aligned; the axis shows them in the viewer's own time zone.
  function tickMark(time, type) {
    const d = new Date(time * 1000);
    switch (type) {
      case 0: return String(d.getFullYear());
      case 1: return MONTHS[d.getMonth()];
      case 2: return String(d.getDate());
      case 3: return pad(d.getHours()) + ':' + pad(d.getMinutes());
      default: return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    }
  }

  function fullTime(time) {
    const d = new Date(time * 1000);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  let chart = null;
  let candleSeries = null;
  let volumeSeries = null;
  const css = getComputedStyle(document.documentElement);
  const UP = css.getPropertyValue('--up').trim();
  const DOWN = css.getPropertyValue('--down').trim();

  function makeChart() {
    chart = LWC.createChart(el('chart'), {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#131722' }, textColor: '#d1d4dc' },
      grid: { vertLines: { color: '#1f2433' }, horzLines: { color: '#1f2433' } },
      crosshair: { mode: LWC.CrosshairMode.Normal },
      timeScale: { timeVisible: true, secondsVisible: true, rightOffset: 4, barSpacing: 12, tickMarkFormatter: tickMark },
      localization: { timeFormatter: fullTime, priceFormatter: (p) => fmt(p) },
    });
    candleSeries = chart.addSeries(LWC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
    });
    candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
    volumeSeries = chart.addSeries(LWC.HistogramSeries, {
      priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false,
    });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    chart.subscribeCrosshairMove(onCrosshair);
  }

  function notice(text) {
    const n = el('notice');
    n.textContent = text || '';
    n.hidden = !text;
  }

  // ---- bars ------------------------------------------------------------------

  let bars = []; // sorted by time; the page's copy of what the chart shows

  function toBar(a) {
    return { time: a[0], open: a[1], high: a[2], low: a[3], close: a[4], volume: a[5], trades: a[6] };
  }

  const ohlc = (b) => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close });
  const vol = (b) => ({ time: b.time, value: b.volume, color: b.close >= b.open ? UP + '80' : DOWN + '80' });

  function setAll(list) {
    bars = list;
    if (candleSeries) {
      candleSeries.setData(bars.map(ohlc));
      volumeSeries.setData(bars.map(vol));
    }
  }

  // Index of the first bar with time >= t.
  function lowerBound(t) {
    let lo = 0;
    let hi = bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bars[mid].time < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // New and newest bars go through update(); a late change to an older bar
  // (a trade that arrived out of order) asks for a full redraw.
  function upsert(bar) {
    const n = bars.length;
    if (n === 0 || bar.time >= bars[n - 1].time) {
      if (n && bar.time === bars[n - 1].time) bars[n - 1] = bar; else bars.push(bar);
      if (candleSeries) {
        candleSeries.update(ohlc(bar));
        volumeSeries.update(vol(bar));
      }
      return false;
    }
    const i = lowerBound(bar.time);
    if (bars[i].time === bar.time) bars[i] = bar; else bars.splice(i, 0, bar);
    return true;
  }

  function applyUpdate(list) {
    let redraw = false;
    for (const a of list) redraw = upsert(toBar(a)) || redraw;
    const limit = Math.max(state.history, 1) * 1.25;
    if (bars.length > limit) {
      bars.splice(0, bars.length - state.history);
      redraw = true;
    }
    if (redraw) setAll(bars);
  }

  // What the chart draws, plus the volume and trade count kept beside it.
  function readBack() {
    const b = bars.length ? bars[bars.length - 1] : null;
    let shown = b;
    state.candles = bars.length;
    if (candleSeries) {
      const data = candleSeries.data();
      shown = data.length ? data[data.length - 1] : null;
      state.candles = data.length;
    }
    state.last = shown && b ? {
      time: shown.time, open: shown.open, high: shown.high, low: shown.low, close: shown.close,
      volume: b.volume, trades: b.trades,
    } : null;
    if (!crosshairBar) showLegend(b);
  }

  // ---- header ----------------------------------------------------------------

  let precision = -1; // decimals shown; follows the price's magnitude
  function setPrecision(price) {
    if (!(price > 0)) return;
    const p = Math.max(0, Math.min(8, 3 - Math.floor(Math.log10(price))));
    if (p === precision) return;
    precision = p;
    if (candleSeries) {
      candleSeries.applyOptions({ priceFormat: { type: 'price', precision: p, minMove: Math.pow(10, -p) } });
    }
  }

  const fmt = (x) => (x == null ? '—' : Number(x).toLocaleString(undefined, {
    minimumFractionDigits: Math.max(precision, 0), maximumFractionDigits: Math.max(precision, 0),
  }));
  const fmtVol = (x) => (x == null ? '—' : Number(x).toLocaleString(undefined, { maximumFractionDigits: 4 }));

  let crosshairBar = null;
  function onCrosshair(param) {
    crosshairBar = null;
    if (param && param.time !== undefined) {
      const i = lowerBound(param.time);
      if (bars[i] && bars[i].time === param.time) crosshairBar = bars[i];
    }
    showLegend(crosshairBar || bars[bars.length - 1]);
  }

  function showLegend(b) {
    el('legend').textContent = b
      ? `O ${fmt(b.open)}  H ${fmt(b.high)}  L ${fmt(b.low)}  C ${fmt(b.close)}  V ${fmtVol(b.volume)}  (${b.trades} trades)`
      : '';
  }

  let prevPrice = null;
  function showPrice(last) {
    const p = el('price');
    if (!last) {
      p.textContent = '—';
      p.className = 'price';
      prevPrice = null;
      return;
    }
    if (prevPrice !== null && last.price !== prevPrice) {
      p.className = 'price ' + (last.price > prevPrice ? 'up' : 'down');
    }
    prevPrice = last.price;
    p.textContent = fmt(last.price);
  }

  function showBadge() {
    const b = el('badge');
    let kind = state.conn;
    let text = state.conn;
    let title = '';
    if (state.socket !== 'open') {
      kind = 'offline';
      text = state.socket === 'connecting' ? 'connecting' : 'offline';
      title = state.retryInMs ? `chart server unreachable; retrying in ${(state.retryInMs / 1000).toFixed(1)} s` : '';
    } else if (state.conn === 'gap' && state.gap) {
      const secs = ((state.gap.until - state.gap.since) / 1000).toFixed(1);
      text = `gap ${secs} s`;
      title = `no data from ${fullTime(state.gap.since / 1000)} to ${fullTime(state.gap.until / 1000)}`;
    } else if (state.conn === 'reconnecting') {
      title = 'the host lost the exchange connection and is reconnecting';
    }
    b.className = 'badge badge-' + kind;
    b.textContent = text;
    b.title = title;
  }

  function fillSelect(sel, items, chosen) {
    if (sel.options.length !== items.length || items.some((v, i) => sel.options[i].value !== v)) {
      sel.replaceChildren(...items.map((v) => new Option(v, v)));
    }
    sel.value = chosen;
  }

  // ---- selection -------------------------------------------------------------

  function fromHash() {
    const [code, interval] = decodeURIComponent(location.hash.slice(1)).split('/');
    return { code, interval };
  }

  function choose(list, ...wanted) {
    for (const w of wanted) if (w && list.includes(w)) return w;
    return list[0];
  }

  function select(code, interval) {
    state.code = code;
    state.interval = interval;
    state.error = null;
    if (LWC) notice('');
    bars = [];
    setAll([]);
    readBack();
    showPrice(null);
    history.replaceState(null, '', '#' + code + '/' + interval);
    document.title = code + ' ' + interval + ' · upws chart';
    if (chart) chart.applyOptions({ timeScale: { secondsVisible: interval.endsWith('s') } });
    send({ subscribe: { code, interval } });
  }

  codeSel.addEventListener('change', () => select(codeSel.value, state.interval));
  intervalSel.addEventListener('change', () => select(state.code, intervalSel.value));

  // ---- messages --------------------------------------------------------------

  function current(msg) {
    return msg.code === state.code && msg.interval === state.interval;
  }

  // live: from an update, so the lag from trade to screen is meaningful
  // (a history's last trade may be minutes old).
  function onLast(last, live) {
    if (!last) return;
    const isNew = !state.lastTrade || state.lastTrade.seq !== last.seq;
    state.lastTrade = last;
    if (live && isNew && last.ts) {
      state.lags.push(Date.now() - last.ts);
      if (state.lags.length > LAG_SAMPLES) state.lags.shift();
    }
    setPrecision(last.price);
    showPrice(last);
  }

  const handlers = {
    hello(msg) {
      state.hellos++;
      retryMs = RETRY_MIN_MS; // the server is back: next loss starts the backoff over
      state.codes = msg.codes;
      state.intervals = msg.intervals;
      state.history = msg.history;
      handlers.conn(msg);
      const h = fromHash();
      const code = choose(msg.codes, state.code, h.code);
      const interval = choose(msg.intervals, state.interval, h.interval, '1m');
      fillSelect(codeSel, msg.codes, code);
      fillSelect(intervalSel, msg.intervals, interval);
      select(code, interval);
    },
    conn(msg) {
      state.conn = msg.conn.state;
      state.connSince = msg.conn.since;
      state.gap = msg.conn.gap;
      showBadge();
    },
    history(msg) {
      if (!current(msg)) return;
      state.histories++;
      if (msg.last) setPrecision(msg.last.price);
      setAll(msg.candles.map(toBar));
      if (chart) chart.timeScale().scrollToRealTime();
      onLast(msg.last, false);
      readBack();
    },
    update(msg) {
      if (!current(msg)) return;
      state.updates++;
      applyUpdate(msg.candles);
      onLast(msg.last, true);
      readBack();
    },
    error(msg) {
      state.error = msg.message;
      notice(msg.message);
    },
  };

  // ---- socket ----------------------------------------------------------------

  let ws = null;
  let retryMs = RETRY_MIN_MS;

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function connect() {
    state.socket = 'connecting';
    state.retryInMs = 0;
    showBadge();
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    ws = new WebSocket(url, 'upws-chart');
    ws.onopen = () => {
      state.socket = 'open';
      showBadge();
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      const h = handlers[msg.type];
      if (h) h(msg);
    };
    ws.onclose = () => {
      ws = null;
      state.socket = 'offline';
      // Backoff with jitter: a restarting host is not hammered by every page at once.
      state.retryInMs = Math.round(retryMs * (0.8 + 0.4 * Math.random()));
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      showBadge();
      setTimeout(connect, state.retryInMs);
    };
  }

  el('tz').textContent = 'times in local time (UTC' + utcOffset() + ')';
  function utcOffset() {
    const m = -new Date().getTimezoneOffset();
    const s = m >= 0 ? '+' : '-';
    return s + pad(Math.floor(Math.abs(m) / 60)) + ':' + pad(Math.abs(m) % 60);
  }

  if (LWC) {
    makeChart();
  } else {
    notice('The charting library did not load: run plugins/chart_feeder/web/install.sh on the host, then reload.');
  }
  connect();
}());

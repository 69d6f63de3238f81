// Reference consumer: ccxt's upbit watchTickers over every market, with the
// exchange's REST and WebSocket URLs pointed at the feeder. Counts every
// message ccxt handles (the handleMessage hook; a resolved watchTickers
// promise can stand for several). Prints frames=N first_ns=F last_ns=L
// after --idle-ms without data. Usage: node ccxt_consumer.js PORT [--idle-ms MS]
'use strict';
const ccxt = require('ccxt');

const port = Number(process.argv[2]);
const idleMs = process.argv[3] === '--idle-ms' ? Number(process.argv[4]) : 1500;
const nowNs = () => BigInt(Date.now()) * 1000000n + BigInt(Math.floor((performance.now() % 1) * 1e6));

async function main() {
    const ex = new ccxt.pro.upbit({ enableRateLimit: false });
    ex.urls.api.public = 'http://127.0.0.1:' + port;
    ex.urls.api.ws = 'ws://127.0.0.1:' + port + '/websocket/v1';
    let n = 0, first = 0n, last = 0n, lastMs = 0;
    const handle = ex.handleMessage.bind(ex);
    ex.handleMessage = (client, message) => {
        last = nowNs();
        lastMs = Date.now();
        if (!n++) first = last;
        return handle(client, message);
    };
    await ex.loadHttpProxyAgent();  // ccxt needs it for a plain ws:// URL
    await ex.loadMarkets();
    const finish = () => {
        console.log(`frames=${n} first_ns=${first} last_ns=${last}`);
        process.exit(0);
    };
    setInterval(() => { if (n && Date.now() - lastMs > idleMs) finish(); }, 100);
    for (;;) await ex.watchTickers(ex.symbols);
}

main().catch((e) => { console.error('ccxt_consumer: ' + e); process.exit(1); });

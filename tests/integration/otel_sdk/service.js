'use strict';
// An HTTP service instrumented with the OpenTelemetry JS SDK (NodeSDK + HttpInstrumentation),
// exporting every span at once (SimpleSpanProcessor) as OTLP/HTTP protobuf.
//
//   node service.js server PORT              answers any request 200 with the traceparent
//                                            it received ("-" when none) and a newline
//   node service.js upstream PORT DOWN_URL   GET /call: GETs DOWN_URL (the SDK injects its
//                                            traceparent) and answers 200 with a JSON object
//                                            {"status": downstream status, "body": its body};
//                                            every call reuses one keep-alive connection
//
// Environment: ZT_OTLP_URL (the receiver's /v1/traces URL; required), OTEL_SERVICE_NAME.
// Prints "listening PORT" once the server accepts connections; SIGTERM/SIGINT flush and exit.

const { NodeSDK } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const [mode, portArg, downstream] = process.argv.slice(2);
if (!['server', 'upstream'].includes(mode) || !portArg || (mode === 'upstream' && !downstream)) {
  process.stderr.write('usage: service.js server PORT | upstream PORT DOWNSTREAM_URL\n');
  process.exit(2);
}
if (!process.env.ZT_OTLP_URL) {
  process.stderr.write('service.js: ZT_OTLP_URL is required\n');
  process.exit(2);
}

const sdk = new NodeSDK({
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: process.env.ZT_OTLP_URL }))],
  instrumentations: [new HttpInstrumentation()],
});
sdk.start();

// Required only after sdk.start(), so that the instrumentation has patched it.
const http = require('http');

// One keep-alive connection for all calls: each request on it carries its own traceparent.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

function fetchDownstream(cb) {
  const req = http.get(downstream, { agent: keepAlive }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => cb(null, res.statusCode, body));
  });
  req.on('error', (e) => cb(e));
  req.setTimeout(10000, () => req.destroy(new Error('downstream timeout')));
}

const server = http.createServer((req, res) => {
  if (mode === 'server') {
    const body = String(req.headers.traceparent || '-') + '\n';
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  if (req.url !== '/call') {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
    return;
  }
  fetchDownstream((err, status, body) => {
    const out = JSON.stringify(err ? { error: String(err) } : { status, body });
    res.writeHead(err ? 502 : 200, { 'Content-Type': 'application/json',
                                     'Content-Length': Buffer.byteLength(out) });
    res.end(out);
  });
});

server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n');
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  keepAlive.destroy();
  const done = () => process.exit(0);
  sdk.shutdown().then(done, done);
  setTimeout(done, 3000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

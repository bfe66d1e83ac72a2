// Event-loop HTTP service for the chain accuracy bench: Node's http module, no tracing code.
// Every request calls GET /b on the downstream port and answers with its body.
// Usage: node node_proxy.js PORT DOWN_PORT
const http = require('http');
const [port, down] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true });

http.createServer((req, res) => {
	http.get({ host: '127.0.0.1', port: down, path: '/b', agent }, (up) => {
		let body = '';
		up.on('data', (c) => (body += c));
		up.on('end', () => res.end(body));
	}).on('error', (e) => { res.statusCode = 502; res.end(String(e)); });
}).listen(port, '127.0.0.1');

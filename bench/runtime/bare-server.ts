/** The throughput baseline: a bare node:http hello world on the same Node. `node bare-server.ts <port>` */
import * as http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from('hello\n');
http
  .createServer({ keepAlive: true }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));

// gRPC Shop server on Node's @grpc/grpc-js, unmodified by zerotrace: an event loop, one
// thread. usage: node server.js PORT PROTO [DOWNSTREAM host:port]
// GetItem asks DOWNSTREAM (another Shop) for the same item first, when given.
'use strict';
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const [port, protoPath, downstream] = process.argv.slice(2);
const proto = grpc.loadPackageDefinition(loader.loadSync(protoPath)).zt.shop;
const next = downstream ? new proto.Shop(downstream, grpc.credentials.createInsecure()) : null;

function getItem(call, callback) {
  const id = call.request.id;
  if (id === 404) {
    callback({ code: grpc.status.NOT_FOUND, details: 'no item 404' });
    return;
  }
  if (!next) {
    callback(null, { id, name: `item ${id} from node` });
    return;
  }
  next.getItem({ id }, { deadline: Date.now() + 10000 }, (err, item) => {
    if (err) callback(err);
    else callback(null, { id, name: `${item.name} via node` });
  });
}

const server = new grpc.Server();
server.addService(proto.Shop.service, { getItem });
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  console.log('ready');
});

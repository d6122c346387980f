// OPC UA test peer for linewise: a node-opcua server (the npm package, not
// ours) with a few variables in namespace "urn:linewise:test".
//
//   NODE_PATH=$DIR/node_modules node node_opcua_server.js --port N --pki DIR
//
// Variables (string node ids in that namespace, index 2):
//   s=Counter  Int32, +1 every 100 ms
//   s=Double   Double 3.5
//   s=Text     String "hello"
//   s=Flag     Boolean true
// Users: anonymous, and username "operator" / password "secret".
// Prints "ready <port> ns=<index>" once it is listening.
"use strict";
const path = require("path");
const {
  OPCUAServer, OPCUACertificateManager, Variant, DataType, StatusCodes, nodesets,
} = require("node-opcua");

function arg(name, def) {
  const i = process.argv.indexOf("--" + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

async function main() {
  const port = parseInt(arg("port", "4840"), 10);
  const pki = arg("pki", path.join(__dirname, "pki"));
  const certificateManager = new OPCUACertificateManager({
    rootFolder: pki,
    automaticallyAcceptUnknownCertificate: true,
  });
  const server = new OPCUAServer({
    port,
    hostname: "127.0.0.1",
    resourcePath: "",
    nodeset_filename: [nodesets.standard],
    serverCertificateManager: certificateManager,
    userCertificateManager: certificateManager,
    allowAnonymous: true,
    userManager: {
      isValidUser: (user, password) => user === "operator" && password === "secret",
    },
    buildInfo: { productName: "linewise-test-peer", buildNumber: "1" },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  const ns = addressSpace.registerNamespace("urn:linewise:test");
  if (ns.index !== 2) {
    console.error("namespace urn:linewise:test has index", ns.index, "want 2");
    process.exit(1);
  }
  const folder = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "Test" });
  const v = (name, dataType, value) => ns.addVariable({
    componentOf: folder, nodeId: "s=" + name, browseName: name, dataType,
    value: new Variant({ dataType: DataType[dataType], value }),
  });
  const counter = v("Counter", "Int32", 0);
  v("Double", "Double", 3.5);
  v("Text", "String", "hello");
  v("Flag", "Boolean", true);
  let n = 0;
  setInterval(() => {
    n += 1;
    counter.setValueFromSource(new Variant({ dataType: DataType.Int32, value: n }), StatusCodes.Good, new Date());
  }, 100);

  await server.start();
  console.log("ready", port, "ns=" + ns.index);
  const stop = async () => { await server.shutdown(0); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => { console.error(err); process.exit(1); });

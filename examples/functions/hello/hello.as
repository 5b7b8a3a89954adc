// hello: the smallest WAGI function, used for throughput benchmarks.
//
// AssemblyScript, compiled with @assemblyscript/wasi-shim (which maps `process` onto WASI
// preview1). The response is one constant write: no env, no stdin, no allocation per request.
process.stdout.write("Content-Type: text/plain\nStatus: 200\n\nHello from Flotilla\n");

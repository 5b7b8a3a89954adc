// AssemblyScript through @assemblyscript/wasi-shim: args, stdin, stdout, stderr, clocks, exit code.
const args = process.argv;
process.stdout.write("argc=" + args.length.toString() + "\n");
for (let i = 1; i < args.length; i++) process.stdout.write("[" + args[i] + "]\n");
const buffer = new ArrayBuffer(64);
const n = process.stdin.read(buffer);
process.stdout.write("stdin=" + String.UTF8.decode(buffer.slice(0, n)) + "\n");
process.stdout.write("clocks ok=" + (process.hrtime() > 0 && process.time() > 0 ? "yes" : "no") + "\n");
process.stdout.write("env=" + process.env.size.toString() + "\n");
process.stderr.write("to stderr\n");
process.exit(5);

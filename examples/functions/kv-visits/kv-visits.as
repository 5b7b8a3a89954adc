// kv-visits: counts visits per path (or event subject) in the function's own key-value store
// (flotilla:kv), in AssemblyScript with the binding examples/bindings/assemblyscript/flotilla_kv.as.
// Answers "visits=<n>" and every counted path.
import { kvGetString, kvListKeys, kvSetString, kvStatus, KV_OK } from "./flotilla_kv";

const env = process.env;
let subject = env.has("HTTP_CE_SUBJECT") ? env.get("HTTP_CE_SUBJECT") : (env.has("PATH_INFO") ? env.get("PATH_INFO") : "/");
if (subject.length == 0) subject = "/";
const key = "visits/" + subject;
const current = kvGetString(key);
const n: i32 = current == null ? 1 : I32.parseInt(current!) + 1;
if (kvSetString(key, n.toString()) != KV_OK) {
  process.stdout.write("Status: 500\nContent-Type: text/plain\n\nstate store error " + kvStatus.toString() + "\n");
} else {
  process.stdout.write("Content-Type: text/plain\n\nvisits=" + n.toString() + "\npaths=" + kvListKeys("visits/").join(",") + "\n");
}

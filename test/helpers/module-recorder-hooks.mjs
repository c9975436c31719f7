// The load hook of module-recorder.mjs: runs on the loaders' thread, and tells the main thread
// of each module as it is loaded.
let port;

export function initialize(data) {
  port = data.port;
}

export async function load(url, context, nextLoad) {
  port.postMessage(url);
  return nextLoad(url, context);
}

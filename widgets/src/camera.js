// The browser camera as a streamlib source: getUserMedia frames are scaled to the requested size, JPEG-encoded
// in a Worker (OffscreenCanvas.convertToBlob) and sent to the kernel as binary buffers, at most a few
// unacknowledged. A main-thread canvas.toBlob is only the fallback: Chromium runs it in idle time, which a
// busy page (a live preview) does not have, so frames waited up to a second there.

// Runs in the Worker: one frame in (an ImageBitmap, transferred), its JPEG bytes out (transferred back).
const ENCODER_SOURCE = `
let canvas = null;
let context = null;
self.onmessage = async (event) => {
  const { bitmap, quality, id } = event.data;
  try {
    if (!canvas || canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      context = canvas.getContext("2d");
    }
    context.drawImage(bitmap, 0, 0);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality });
    const buffer = await blob.arrayBuffer();
    self.postMessage({ id, buffer }, [buffer]);
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  } finally {
    bitmap.close();
  }
};
`;

// A JPEG encoder off the main thread, or null where this browser lacks Worker + OffscreenCanvas.
function workerEncoder() {
  if (typeof Worker === "undefined" || typeof OffscreenCanvas === "undefined") return null;
  let worker;
  try {
    worker = new Worker(URL.createObjectURL(new Blob([ENCODER_SOURCE], { type: "text/javascript" })));
  } catch {
    return null;
  }
  const waiting = new Map();
  let next = 0;
  worker.onmessage = (event) => {
    const { id, buffer, error } = event.data;
    const done = waiting.get(id);
    waiting.delete(id);
    if (done) done(error ? null : buffer);
  };
  return {
    encode(bitmap, quality) {
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        worker.postMessage({ bitmap, quality, id }, [bitmap]);
      });
    },
    close() {
      worker.terminate();
      waiting.forEach((done) => done(null));
      waiting.clear();
    },
  };
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "streamlib-camera";
  root.style.cssText = "display:inline-block; font:12px sans-serif;";

  const video = document.createElement("video");
  video.className = "streamlib-camera-video";
  video.muted = true;
  video.playsInline = true;
  video.style.cssText = "max-width:320px; display:block; background:#111;";

  const info = document.createElement("div");
  info.className = "streamlib-camera-info";
  info.style.cssText = "padding:2px 0;";

  const button = document.createElement("button");
  button.className = "streamlib-camera-toggle";
  root.append(video, info, button);
  el.append(root);

  const width = model.get("width");
  const height = model.get("height");
  const encoder = workerEncoder();
  root.dataset.encoder = encoder ? "worker" : "main-thread";
  let canvas = null;
  let context = null;
  let stream = null;
  // Frames started (being encoded or sent), given up (failed encodes), acknowledged by the kernel (an ack
  // names the last frame it handled; while a kernel preview shows this camera, acks come only now and then),
  // and shown: the kernel had handled them when a preview frame drawn in this page was made. While a preview
  // shows this camera, a frame is in flight until shown, so the limit bounds capture → draw; else until acked.
  // With no progress either way for a second, one frame goes anyway: its ack brings the count up to date
  // (after a preview stopped showing this camera, whose frames were then never acked one by one). The kernel
  // thins its acks only while this page says it sees preview frames drawn (`shown` messages, on change).
  let started = 0;
  let failed = 0;
  let acked = 0;
  let shown = 0;
  let shownAt = -Infinity;
  let progressAt = performance.now();
  let seesPreview = false;
  function reportSeen(value) {
    if (value === seesPreview) return;
    seesPreview = value;
    model.send({ type: "shown", value });
  }
  let running = false;
  let timer = null;
  const sentAt = [];
  let sent = 0;
  const captureTimes = new Map();

  function show() {
    const label = model.get("device_label") || "no device";
    const fps = model.get("actual_fps").toFixed(1);
    const error = model.get("error");
    info.textContent = error ? `camera: ${error}` : `${label} · ${width}×${height} · ${fps} fps sent`;
    info.style.color = error ? "#c62828" : "";
    button.textContent = running ? "stop camera" : "start camera";
  }

  // In-page previews (inpage.js) find this camera's video by its key and follow its state.
  function announce(stateName, error) {
    if (!window.streamlibCameras) window.streamlibCameras = new Map();
    if (stateName === "running") window.streamlibCameras.set(model.get("key"), { video });
    else window.streamlibCameras.delete(model.get("key"));
    const detail = { key: model.get("key"), state: stateName, error: error || "", video };
    window.dispatchEvent(new CustomEvent("streamlib:camera-state", { detail }));
  }

  function report(stateName, error) {
    announce(stateName, error);
    model.set("state", stateName);
    model.set("error", error || "");
    model.save_changes();
    show();
  }

  // JPEG bytes of the current video frame at the requested size, or null.
  async function encodeFrame(quality) {
    if (encoder) {
      const bitmap = await createImageBitmap(video, { resizeWidth: width, resizeHeight: height });
      return encoder.encode(bitmap, quality);
    }
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      context = canvas.getContext("2d");
    }
    context.drawImage(video, 0, 0, width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    return blob ? blob.arrayBuffer() : null;
  }

  async function sendFrame() {
    const capturedAt = performance.now();
    let buffer = null;
    try {
      buffer = await encodeFrame(model.get("quality") / 100);
    } catch {
      buffer = null;
    }
    if (!buffer || !running) {
      failed += 1;
      return;
    }
    const now = performance.now();
    sentAt.push(now);
    while (sentAt.length > 1 && now - sentAt[0] > 2000) sentAt.shift();
    // The kernel handles frames in the order sent, so its count names the newest one a preview shows.
    sent += 1;
    captureTimes.set(sent, capturedAt);
    // anywidget mirrors Backbone: send(content, callbacks, buffers).
    const frame = { type: "frame", number: sent, width, height, sent_at: now, encoder: encoder ? "worker" : "main" };
    model.send(frame, undefined, [buffer]);
  }

  function inFlight() {
    const done = performance.now() - shownAt < 1000 ? Math.max(shown, 0) : acked;
    return Math.max(0, started - failed - done);
  }

  // The kernel's last ack said whether a running graph reads this camera; if not, a frame a second keeps
  // the kernel's copy fresh and lets it say when a graph starts.
  let wanted = true;
  const IDLE_INTERVAL_MS = 1000;
  let lastSent = -Infinity;

  // A frame is captured as soon as the video presents it and a slot is free, or as soon as a slot frees up
  // for a frame presented meanwhile — not at the next tick of a timer, which added up to a frame interval
  // of latency. `presentedFrames` (requestVideoFrameCallback) keeps one video frame from going twice.
  const followsFrames = typeof video.requestVideoFrameCallback === "function";
  let presented = 0;
  let captured = -1;

  function capture() {
    if (!running || video.readyState < 2) return;
    const now = performance.now();
    if (now - shownAt >= 1000) reportSeen(false);
    const due = wanted
      ? now - lastSent >= 900 / Math.max(1, model.get("fps"))
      : now - lastSent >= IDLE_INTERVAL_MS;
    if (!due || (followsFrames && presented === captured)) return;
    if (inFlight() >= model.get("max_in_flight")) {
      if (now - progressAt < 1000) return;
      progressAt = now; // then one frame a second until the count moves again
    }
    captured = presented;
    started += 1;
    lastSent = now;
    sendFrame();
  }

  function onVideoFrame(_, metadata) {
    if (!running) return;
    presented = metadata.presentedFrames;
    capture();
    video.requestVideoFrameCallback(onVideoFrame);
  }

  // The timer covers browsers without requestVideoFrameCallback and the idle trickle.
  function pump() {
    if (!running) return;
    capture();
    timer = setTimeout(pump, followsFrames ? IDLE_INTERVAL_MS / 4 : 1000 / Math.max(1, model.get("fps")));
  }

  function onShown(event) {
    const handled = event.detail.counts[model.get("key")];
    if (handled === undefined) return;
    // Capture → draw of the newest frame shown: the preview puts it in its overlay.
    if (captureTimes.has(handled)) event.detail.latencies.push(performance.now() - captureTimes.get(handled));
    for (const number of captureTimes.keys()) if (number <= handled) captureTimes.delete(number);
    shown = Math.max(shown, handled);
    shownAt = progressAt = performance.now();
    reportSeen(true);
    capture();
  }
  window.addEventListener("streamlib:camera-frames-shown", onShown);

  function onMessage(message) {
    if (message.type === "ack") {
      acked = Math.max(acked, message.handled ?? acked + 1);
      progressAt = performance.now();
      wanted = message.wanted !== false;
      capture();
      const fps = sentAt.length > 1 ? ((sentAt.length - 1) * 1000) / (sentAt[sentAt.length - 1] - sentAt[0]) : 0;
      if (Math.abs(fps - model.get("actual_fps")) > 0.5) {
        model.set("actual_fps", fps);
        model.save_changes();
      }
      show();
    }
  }
  model.on("msg:custom", onMessage);

  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      report("no-camera", "this browser offers no camera API (getUserMedia)");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: model.get("fps") } },
        audio: false,
      });
    } catch (error) {
      const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      const missing = error && (error.name === "NotFoundError" || error.name === "OverconstrainedError");
      report(denied ? "denied" : missing ? "no-camera" : "error", `${error.name}: ${error.message}`);
      return;
    }
    video.srcObject = stream;
    await video.play();
    const track = stream.getVideoTracks()[0];
    // The device went away or the browser revoked it: say so instead of freezing on the last frame.
    track.addEventListener("ended", () => {
      if (!running) return;
      running = false;
      if (timer) clearTimeout(timer);
      report("stopped", "the camera stopped mid-stream (its track ended)");
    });
    const settings = track.getSettings();
    model.set("device_label", track.label || "camera");
    model.set("device_resolution", `${settings.width || width}x${settings.height || height}`);
    running = true;
    report("running", "");
    if (followsFrames) video.requestVideoFrameCallback(onVideoFrame);
    pump();
  }

  function stop() {
    running = false;
    if (timer) clearTimeout(timer);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    report("stopped", "");
  }

  button.addEventListener("click", () => (running ? stop() : start()));
  model.on("change:active", () => (model.get("active") ? start() : stop()));
  show();
  if (model.get("active")) start();
  return () => {
    model.off("msg:custom", onMessage);
    window.removeEventListener("streamlib:camera-frames-shown", onShown);
    stop();
    if (encoder) encoder.close();
  };
}

export default { render };

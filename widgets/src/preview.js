// Live preview of a streamlib graph. Frames arrive as binary comm buffers (JPEG or PNG encoded in Rust),
// are decoded off the main thread with createImageBitmap and drawn into a canvas; each drawn frame is
// acknowledged so the kernel keeps at most a few in flight (except frames a camera paces, see camera.js). Nothing is drawn or requested while hidden.
// The page says how large it shows the picture, and the kernel sends frames that size (scaled on the GPU):
// the canvas keeps the frame's full size, so layout and pointer coordinates do not change with it.
// `run="browser"` runs the effect chain in the page instead (inpage.js); a remote runtime's node plays over
// WHEP (whep.js).

import { previewFrame } from "./frame.js";
import { renderInPage } from "./inpage.js";
import { renderWhep } from "./whep.js";

function overlayText(state) {
  const parts = [
    `${state.fps.toFixed(1)} fps`,
    state.width === state.fullWidth && state.height === state.fullHeight
      ? `${state.width}×${state.height}`
      : `${state.width}×${state.height} of ${state.fullWidth}×${state.fullHeight}`,
    `${state.frameMs.toFixed(1)} ms/frame`,
    `${state.dropped} dropped`,
  ];
  if (state.latency !== null) parts.push(`camera→screen ${state.latency.toFixed(0)} ms`);
  if (state.paused) parts.push("paused");
  return parts.join(" · ");
}

const OVERLAY_EVERY_MS = 250;

function render({ model, el }) {
  // A chain the page cannot run after all (no WebGPU adapter) switches this view to the kernel's frames.
  if (model.get("run") === "browser") return renderInPage({ model, el, fallback: () => renderKernel({ model, el }) });
  if (model.get("run") === "whep") return renderWhep({ model, el });
  return renderKernel({ model, el });
}

function renderKernel({ model, el }) {
  const { root, canvas, overlay, status } = previewFrame(model, el);
  root.dataset.run = "kernel";
  const context = canvas.getContext("2d");

  const button = document.createElement("button");
  button.className = "streamlib-preview-pause";
  button.style.cssText =
    "position:absolute; right:6px; top:6px; font:12px sans-serif; line-height:1.4; padding:1px 8px; cursor:pointer;";

  root.append(button);

  const state = {
    fps: 0,
    width: canvas.width,
    height: canvas.height,
    fullWidth: canvas.width,
    fullHeight: canvas.height,
    frameMs: 0,
    dropped: 0,
    paused: false,
    latency: null,
  };
  // A widget can be shown in several places; the kernel streams while any of its views is visible.
  const view = Math.random().toString(36).slice(2);
  const drawnAt = [];
  const latencies = [];
  let visible = true;
  let refreshedAt = -Infinity;
  let trailing = null;

  function refresh() {
    state.paused = model.get("paused");
    button.textContent = state.paused ? "▶ play" : "❚❚ pause";
    overlay.textContent = overlayText(state);
    status.textContent = model.get("error") || model.get("notice") || "";
  }

  button.addEventListener("click", () => {
    model.set("paused", !model.get("paused"));
    model.save_changes();
  });
  model.on("change:paused", refresh);
  model.on("change:error", refresh);
  model.on("change:notice", refresh);

  async function onMessage(message, buffers) {
    if (message.type !== "frame" || buffers.length === 0) return;
    try {
      const blob = new Blob([buffers[0]], { type: message.mime });
      const bitmap = await createImageBitmap(blob);
      const fullWidth = message.full_width || bitmap.width;
      const fullHeight = message.full_height || bitmap.height;
      if (canvas.width !== fullWidth || canvas.height !== fullHeight) {
        canvas.width = fullWidth;
        canvas.height = fullHeight;
      }
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      state.width = bitmap.width;
      state.height = bitmap.height;
      state.fullWidth = fullWidth;
      state.fullHeight = fullHeight;
      canvas.dataset.sentWidth = String(bitmap.width);
      canvas.dataset.sentHeight = String(bitmap.height);
      bitmap.close();
      const now = performance.now();
      drawnAt.push(now);
      while (drawnAt.length > 1 && now - drawnAt[0] > 2000) drawnAt.shift();
      state.fps = drawnAt.length > 1 ? ((drawnAt.length - 1) * 1000) / (now - drawnAt[0]) : 0;
      state.frameMs = message.frame_ms || 0;
      state.dropped = message.dropped || 0;
      canvas.dataset.frameIndex = String(message.index);
      // Cameras in this page count the frames this one shows as done, so their in-flight limit spans
      // capture → draw (camera.js); the kernel says how many of each camera's frames it had handled.
      if (message.cameras && Object.keys(message.cameras).length > 0) {
        // Listeners answer synchronously with the capture → draw time of the camera frame now shown.
        const detail = { counts: message.cameras, latencies: [] };
        window.dispatchEvent(new CustomEvent("streamlib:camera-frames-shown", { detail }));
        if (detail.latencies.length > 0) {
          latencies.push(Math.max(...detail.latencies));
          if (latencies.length > 60) latencies.shift();
          state.latency = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
          canvas.dataset.latencyMs = state.latency.toFixed(1);
        }
      }
      canvas.dataset.fps = state.fps.toFixed(2);
      // The overlay's text is laid out and painted anew each time it changes: a few times a second is
      // readable, and spares the page that work on every frame.
      // The last frame's figures always show: a skipped update is made when the interval ends.
      if (now - refreshedAt >= OVERLAY_EVERY_MS) {
        refreshedAt = now;
        refresh();
      } else if (!trailing) {
        trailing = setTimeout(() => {
          trailing = null;
          refreshedAt = performance.now();
          refresh();
        }, OVERLAY_EVERY_MS - (now - refreshedAt));
      }
    } finally {
      // A frame with new camera frames in it is paced by the camera (camera.js), which counts it as shown.
      if (!message.paced_by_camera) model.send({ type: "ack", index: message.index, drawn_at: performance.now() });
    }
  }
  model.on("msg:custom", onMessage);

  // The pointer goes back to the graph as the standard `mouse` value, in frame pixels.
  let lastMouse = 0;
  function sendMouse(event) {
    const now = performance.now();
    if (now - lastMouse < 16 && event.type === "pointermove") return;
    lastMouse = now;
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * canvas.width;
    const y = ((event.clientY - rect.top) / rect.height) * canvas.height;
    model.send({ type: "mouse", x, y, buttons: event.buttons });
  }
  canvas.addEventListener("pointermove", sendMouse);
  canvas.addEventListener("pointerdown", sendMouse);
  canvas.addEventListener("pointerup", sendMouse);

  // The size the picture takes on screen, in device pixels: frames larger than that would be scaled down here.
  let reported = "";
  const resizer = new ResizeObserver(() => {
    const rect = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(rect.width * ratio);
    const height = Math.round(rect.height * ratio);
    if (width === 0 || height === 0 || `${width}x${height}` === reported) return;
    reported = `${width}x${height}`;
    model.send({ type: "display", view, width, height });
  });
  resizer.observe(canvas);

  const observer = new IntersectionObserver((entries) => {
    const now = entries.some((entry) => entry.isIntersecting) && document.visibilityState !== "hidden";
    if (now !== visible) {
      visible = now;
      model.send({ type: "visible", value: visible, view });
    }
  });
  observer.observe(root);
  const onVisibility = () =>
    model.send({ type: "visible", value: document.visibilityState !== "hidden" && visible, view });
  document.addEventListener("visibilitychange", onVisibility);

  refresh();
  model.send({ type: "ready", view });
  return () => {
    clearTimeout(trailing);
    resizer.disconnect();
    observer.disconnect();
    document.removeEventListener("visibilitychange", onVisibility);
    model.off("msg:custom", onMessage);
    model.send({ type: "visible", value: false, view });
  };
}

export default { render };
// The renderer alone, for the WebGL2 parity test (tests/browser/test_webgl_parity.py).
export { createRenderer } from "./webgl.js";
// The WebGPU renderer of compute effects, for its parity test (tests/browser/test_webgpu_parity.py).
export { createComputeRenderer, createWebGpuChain } from "./webgpu.js";

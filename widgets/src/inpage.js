// `Preview(fx, run="browser")`: the effect chain runs in this page with WebGL2 on the camera (or the test
// pattern, a still image sent as PNG, or a video file sent once and played here), at the source's own rate;
// no frame crosses to the kernel. The kernel sends the chain (`program`),
// parameter values and hot swaps; sliders of `Controls` drive the uniforms here directly (`bindings`), and a
// heartbeat tells the widget when the kernel is gone, while the picture keeps running.

import { previewFrame } from "./frame.js";
import { createRenderer } from "./webgl.js";
import { createWebGpuChain } from "./webgpu.js";

const KERNEL_SILENT_MS = 3500;
const CAMERA_WAIT_MS = 2000;

function hexToFloats(hex, alpha) {
  const text = String(hex || "#000000").replace("#", "");
  const rgb = [0, 2, 4].map((i) => parseInt(text.slice(i, i + 2), 16) / 255);
  return alpha === null || alpha === undefined ? rgb : [...rgb, alpha];
}

// The video of a Camera widget shown in this page (camera.js registers it), or null after `wait` ms.
function sharedCamera(key, wait) {
  const find = () => (window.streamlibCameras && window.streamlibCameras.get(key)) || null;
  return new Promise((resolve) => {
    const found = find();
    if (found) return resolve(found);
    const onReady = () => {
      const camera = find();
      if (camera) {
        window.removeEventListener("streamlib:camera-state", onReady);
        resolve(camera);
      }
    };
    window.addEventListener("streamlib:camera-state", onReady);
    setTimeout(() => {
      window.removeEventListener("streamlib:camera-state", onReady);
      resolve(find());
    }, wait);
  });
}

async function ownCamera(source) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: source.width }, height: { ideal: source.height }, frameRate: { ideal: source.fps } },
    audio: false,
  });
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  return { video, stream };
}

// `fallback()` renders the kernel path's view in `el` (and returns its cleanup): for a compute chain in a page
// whose browser gives WebGPU no adapter, after the kernel is told so (`page-cannot-run`).
export function renderInPage({ model, el, fallback }) {
  const { root, canvas, overlay, status } = previewFrame(model, el);
  root.dataset.run = "browser";
  const api = (model.get("program") || {}).api === "webgpu" ? "WebGPU" : "WebGL2";

  // Pixel chains: WebGL2, made at once; compute chains: WebGPU, whose device comes asynchronously.
  let renderer = null;
  if (api === "WebGL2") {
    try {
      renderer = createRenderer(canvas);
    } catch (error) {
      status.textContent = `in-page preview unavailable: ${error.message}`;
      model.send({ type: "program-error", message: String(error.message) });
      return () => {};
    }
    root.streamlibRenderer = renderer;
  }

  const state = { fps: 0, latency: 0, width: canvas.width, height: canvas.height };
  const messages = { program: "", source: "", kernel: "" };
  const drawnAt = [];
  const latencies = [];
  let frameIndex = 0;
  let startedAt = performance.now();
  let mouse = [0, 0, 0, 0];
  let visible = true;
  let closed = false;
  let lastTick = performance.now();
  let video = null;
  let ownStream = null;
  let sourceKind = null;

  function refresh() {
    const parts = [`${state.fps.toFixed(1)} fps`, `${state.width}×${state.height}`];
    if (sourceKind === "camera") parts.push(`+${state.latency.toFixed(0)} ms`);
    parts.push(`in page (${api})`);
    overlay.textContent = parts.join(" · ");
    status.textContent = [messages.kernel, messages.source, messages.program].filter(Boolean).join(" — ");
    canvas.dataset.fps = state.fps.toFixed(2);
    canvas.dataset.latencyMs = state.latency.toFixed(1);
  }

  function drew(latency) {
    const now = performance.now();
    drawnAt.push(now);
    while (drawnAt.length > 1 && now - drawnAt[0] > 2000) drawnAt.shift();
    state.fps = drawnAt.length > 1 ? ((drawnAt.length - 1) * 1000) / (now - drawnAt[0]) : 0;
    if (latency !== undefined) {
      latencies.push(latency);
      if (latencies.length > 60) latencies.shift();
      state.latency = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
    }
    state.width = canvas.width;
    state.height = canvas.height;
    canvas.dataset.frameIndex = String(frameIndex);
    refresh();
  }

  // False when the renderer skipped the frame (WebGPU's last one still on its way back).
  function renderFrame(frame) {
    const time = (performance.now() - startedAt) / 1000;
    if (renderer.render({ frame, index: frameIndex, time, mouse }) === false) return false;
    frameIndex += 1;
    return true;
  }

  // Camera: one render per new camera frame, when the video has one (requestVideoFrameCallback). One chain
  // of callbacks per video: following the same video twice would render each frame twice.
  function follow(next) {
    if (next === video) return;
    video = next;
    if (!video) return;
    const followed = video;
    const onVideoFrame = (now, metadata) => {
      if (closed || video !== followed) return;
      if (visible && renderFrame(followed)) {
        // How long after the camera frame was ready for display its output was: the latency this adds.
        const ready = metadata && metadata.presentationTime ? metadata.presentationTime : now;
        drew(performance.now() - ready);
      }
      followed.requestVideoFrameCallback(onVideoFrame);
    };
    followed.requestVideoFrameCallback(onVideoFrame);
  }

  // The test pattern and a still image: rendered at the source's rate with the kernel's clock
  // (time = index / fps), the image uploaded with each frame as the kernel's image source does.
  let lastPattern = 0;
  let still = null;
  function onAnimationFrame(now) {
    if (closed || (sourceKind !== "test_pattern" && sourceKind !== "image")) return;
    const fps = model.get("program").source.fps || 30;
    if (visible && now - lastPattern >= 1000 / fps - 2 && (sourceKind !== "image" || still)) {
      lastPattern = now;
      if (renderer.render({ frame: still || undefined, index: frameIndex, time: frameIndex / fps, mouse }) !== false) {
        frameIndex += 1;
        drew();
      }
    }
    requestAnimationFrame(onAnimationFrame);
  }

  function stopOwnCamera() {
    if (ownStream) ownStream.getTracks().forEach((track) => track.stop());
    ownStream = null;
  }

  // A video file: its bytes come once from the kernel (`video-request`), and a <video> here plays them; each
  // frame it presents is rendered, as a camera's is.
  let ownVideo = null;
  function requestVideo() {
    return new Promise((resolve, reject) => {
      const onVideo = (message, buffers) => {
        if (message.type !== "video") return;
        model.off("msg:custom", onVideo);
        if (message.error || !buffers || buffers.length === 0) reject(new Error(message.error || "no bytes came"));
        else resolve(buffers[0]);
      };
      model.on("msg:custom", onVideo);
      model.send({ type: "video-request" });
    });
  }

  async function startVideo(source) {
    try {
      const bytes = await requestVideo();
      const element = document.createElement("video");
      element.muted = true;
      element.playsInline = true;
      element.loop = source.loop;
      element.src = URL.createObjectURL(new Blob([bytes]));
      await element.play();
      if (closed) return stopOwnVideo(element);
      ownVideo = element;
      messages.source = "";
      follow(element);
    } catch (error) {
      messages.source = `cannot play '${source.name}' here: ${error.message}`;
    }
    refresh();
  }

  function stopOwnVideo(element = ownVideo) {
    if (!element) return;
    element.pause();
    URL.revokeObjectURL(element.src);
    if (element === ownVideo) ownVideo = null;
  }

  async function decodeImage(base64) {
    const bytes = Uint8Array.from(window.atob(base64), (c) => c.charCodeAt(0));
    const blob = new Blob([bytes], { type: "image/png" });
    // Exact pixels, as the kernel decodes them: no premultiplication, no colour management.
    return createImageBitmap(blob, { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  }

  async function startSource(source) {
    if (source.kind === "image") {
      const bitmap = await decodeImage(source.png_base64);
      if (still) still.close();
      still = bitmap;
    }
    if (source.kind === sourceKind && (source.kind !== "camera" || video)) return;
    sourceKind = source.kind;
    startedAt = performance.now();
    if (source.kind === "test_pattern" || source.kind === "image") {
      requestAnimationFrame(onAnimationFrame);
      return;
    }
    if (source.kind === "video") return startVideo(source);
    const shared = await sharedCamera(source.camera_key, CAMERA_WAIT_MS);
    if (video) return; // the camera widget announced itself meanwhile (onCameraState follows it)
    try {
      if (shared && shared.video) {
        follow(shared.video);
      } else {
        const own = await ownCamera(source);
        ownStream = own.stream;
        ownStream.getVideoTracks()[0].addEventListener("ended", () => {
          messages.source = "camera stopped";
          refresh();
        });
        follow(own.video);
      }
    } catch (error) {
      messages.source = `camera ${error.name === "NotAllowedError" ? "denied" : "unavailable"}: ${error.message}`;
      refresh();
      return;
    }
    messages.source = "";
    refresh();
  }

  function onCameraState(event) {
    const program = model.get("program");
    if (!program.source || event.detail.key !== program.source.camera_key) return;
    if (event.detail.state === "running") {
      messages.source = "";
      follow(event.detail.video);
    } else {
      messages.source = `camera ${event.detail.state}${event.detail.error ? `: ${event.detail.error}` : ""}`;
      follow(null);
    }
    refresh();
  }
  window.addEventListener("streamlib:camera-state", onCameraState);

  async function loadProgram() {
    const program = model.get("program");
    if (!program || !program.passes || !renderer) return;
    try {
      await renderer.setProgram(program);
      messages.program = "";
      model.send({ type: "program-ok", generation: program.generation });
      startSource(program.source);
      bindControls();
    } catch (error) {
      messages.program = `kept the last good effect: ${error.message}`;
      model.send({ type: "program-error", message: String(error.message), generation: program.generation });
    }
    refresh();
  }
  model.on("change:program", loadProgram);

  // Sliders and pickers of `Controls` in this page set the uniforms directly; the kernel hears them too.
  let unbind = [];
  async function bindControls() {
    unbind.forEach((off) => off());
    unbind = [];
    const manager = model.widget_manager;
    if (!manager || !manager.get_model) return;
    for (const binding of model.get("bindings") || []) {
      let control;
      try {
        control = await manager.get_model(binding.model_id);
      } catch {
        continue;
      }
      const apply = () => {
        const value = control.get("value");
        let values;
        if (binding.kind === "color") values = hexToFloats(value, binding.alpha);
        else if (binding.kind === "component") {
          values = [...(renderer.params(binding.pass)[binding.param] || [])];
          values[binding.index] = Number(value);
        } else values = [Number(value)];
        renderer.setParams(binding.pass, { [binding.param]: values });
      };
      control.on("change:value", apply);
      unbind.push(() => control.off("change:value", apply));
    }
  }
  model.on("change:bindings", bindControls);

  function onMessage(message) {
    if (message.type === "tick") {
      lastTick = performance.now();
      if (messages.kernel) {
        messages.kernel = "";
        root.dataset.kernel = "alive";
        refresh();
      }
    } else if (message.type === "params" && renderer) {
      renderer.setParams(message.pass, message.values);
    }
  }
  model.on("msg:custom", onMessage);
  const watchdog = setInterval(() => {
    if (performance.now() - lastTick > KERNEL_SILENT_MS && !messages.kernel) {
      messages.kernel = "the kernel is gone: the effect keeps running in the page; controls and hot swap need a kernel";
      root.dataset.kernel = "gone";
      refresh();
    }
  }, 500);

  function setMouse(event) {
    const rect = canvas.getBoundingClientRect();
    mouse = [
      ((event.clientX - rect.left) / rect.width) * canvas.width,
      ((event.clientY - rect.top) / rect.height) * canvas.height,
      event.buttons,
      0,
    ];
  }
  canvas.addEventListener("pointermove", setMouse);
  canvas.addEventListener("pointerdown", setMouse);
  canvas.addEventListener("pointerup", setMouse);

  const observer = new IntersectionObserver((entries) => {
    visible = entries.some((entry) => entry.isIntersecting);
  });
  observer.observe(root);

  root.dataset.kernel = "alive";
  let fallenBack = null;
  if (renderer) {
    loadProgram();
  } else {
    createWebGpuChain(canvas).then(
      (made) => {
        if (closed) return made.dispose();
        renderer = made;
        root.streamlibRenderer = renderer;
        return loadProgram();
      },
      (error) => {
        if (closed) return;
        model.send({ type: "page-cannot-run", reason: `this page cannot run the compute chain: ${error.message}` });
        cleanup();
        el.replaceChildren();
        fallenBack = fallback();
      },
    );
  }
  refresh();
  model.send({ type: "ready", view: "in-page" });
  return () => (fallenBack ? fallenBack() : cleanup());

  function cleanup() {
    if (closed) return;
    closed = true;
    clearInterval(watchdog);
    observer.disconnect();
    unbind.forEach((off) => off());
    window.removeEventListener("streamlib:camera-state", onCameraState);
    model.off("msg:custom", onMessage);
    model.off("change:program", loadProgram);
    model.off("change:bindings", bindControls);
    stopOwnCamera();
    stopOwnVideo();
    if (renderer) renderer.dispose();
  }
}

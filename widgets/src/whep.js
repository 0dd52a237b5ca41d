// `Preview(remote.node("fx"))`: the page plays a runtime's node over WHEP in its own <video>; no frame
// crosses the kernel. The kernel hands over the endpoint and, by message (never saved with the notebook),
// the bearer token; the runtime must let this page's origin in (`--allow-origin`). A session that fails or
// ends is replaced after a pause; leaving the page or closing the widget ends it with DELETE, as WHEP asks.

import { previewFrame } from "./frame.js";

const RETRY_MS = 1000;

function overlayText(state) {
  const parts = [`${state.fps.toFixed(1)} fps`, `${state.width}×${state.height}`];
  if (state.latency !== null) parts.push(`receive→screen ${state.latency.toFixed(0)} ms`);
  parts.push("WHEP");
  return parts.join(" · ");
}

async function answerError(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return `${response.status} ${body.code}: ${body.message}`;
  } catch {
    return `${response.status}: ${text.slice(0, 200)}`;
  }
}

export function renderWhep({ model, el }) {
  const { root, canvas, overlay, status } = previewFrame(model, el);
  root.dataset.run = "whep";
  const video = document.createElement("video");
  video.className = "streamlib-preview-video";
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.style.cssText = "max-width:100%; height:auto; display:block;";
  canvas.replaceWith(video);

  const state = { fps: 0, width: 0, height: 0, latency: null };
  const shownAt = [];
  const latencies = [];
  let token = null;
  let session = null; // { pc, location }
  let closed = false;
  let presented = 0;

  const say = (text) => {
    status.textContent = text;
  };

  function onFrame(now, metadata) {
    if (closed) return;
    presented += 1;
    root.dataset.presented = String(presented);
    shownAt.push(now);
    while (shownAt.length > 1 && now - shownAt[0] > 2000) shownAt.shift();
    state.fps = shownAt.length > 1 ? ((shownAt.length - 1) * 1000) / (now - shownAt[0]) : 0;
    state.width = metadata.width;
    state.height = metadata.height;
    // From the last packet of this frame arriving to its display: jitter buffer, decode and composite.
    if (metadata.receiveTime !== undefined && metadata.expectedDisplayTime !== undefined) {
      latencies.push(metadata.expectedDisplayTime - metadata.receiveTime);
      if (latencies.length > 60) latencies.shift();
      state.latency = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)];
      root.dataset.latencyMs = state.latency.toFixed(1);
    }
    root.dataset.fps = state.fps.toFixed(2);
    overlay.textContent = overlayText(state);
    video.requestVideoFrameCallback(onFrame);
  }
  video.requestVideoFrameCallback(onFrame);

  async function end() {
    const current = session;
    session = null;
    if (!current) return;
    current.pc.close();
    if (current.location) {
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      await fetch(current.location, { method: "DELETE", headers }).catch(() => {});
    }
  }

  async function play() {
    if (closed || session) return;
    const url = model.get("whep_url");
    const pc = new RTCPeerConnection();
    session = { pc, location: null };
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (event) => {
      video.srcObject = event.streams[0] || new MediaStream([event.track]);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") say("");
      if (pc.connectionState === "failed" || pc.connectionState === "disconnected") {
        say(`the runtime stopped sending (${pc.connectionState}); trying again…`);
        retry();
      }
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      const headers = { "Content-Type": "application/sdp" };
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp });
      if (response.status !== 201) throw new Error(await answerError(response));
      const resource = response.headers.get("Location");
      session.location = resource ? new URL(resource, url).href : null;
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      root.dataset.state = "playing";
    } catch (error) {
      const why =
        error instanceof TypeError
          ? `cannot reach ${url} (is it running, and does it let this page's origin ${window.location.origin} in? --allow-origin)`
          : error.message;
      say(`WHEP: ${why}; trying again…`);
      root.dataset.state = "error";
      retry();
    }
  }

  let retrying = null;
  function retry() {
    if (closed || retrying) return;
    retrying = setTimeout(async () => {
      retrying = null;
      await end();
      play();
    }, RETRY_MS);
  }

  function onMessage(message) {
    if (message.type !== "whep-auth") return;
    token = message.token || null;
    play();
  }
  model.on("msg:custom", onMessage);
  const onUnload = () => end();
  window.addEventListener("beforeunload", onUnload);
  overlay.textContent = "connecting · WHEP";
  model.send({ type: "whep-ready" });

  return () => {
    closed = true;
    if (retrying) clearTimeout(retrying);
    window.removeEventListener("beforeunload", onUnload);
    model.off("msg:custom", onMessage);
    end();
  };
}

"""A plain page that plays a node over WHEP in Chromium: `play(node, token)` makes the offer, POSTs it to
`/v1/whep/{node}` and shows the answer's track in a `<video>` (served at the runtime's own origin with
`page.route`, so its fetch needs no CORS); `inbound()` reads the track's receive counters, `grab()` the
picture shown."""

PLAYER = """<!doctype html><video id="v" autoplay muted playsinline></video><script>
window.play = async (node, token) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  const video = document.getElementById("v");
  pc.ontrack = (event) => { video.srcObject = event.streams[0] || new MediaStream([event.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(`/v1/whep/${node}`, {
    method: "POST",
    headers: token
      ? { "Content-Type": "application/sdp", Authorization: `Bearer ${token}` }
      : { "Content-Type": "application/sdp" },
    body: pc.localDescription.sdp,
  });
  if (response.status !== 201) return { status: response.status, body: await response.text() };
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  window.pc = pc;
  window.presented = 0;
  const count = () => { window.presented += 1; video.requestVideoFrameCallback(count); };
  video.requestVideoFrameCallback(count);
  return { status: 201, location: response.headers.get("Location") };
};
// The video track's receive counters (RTCInboundRtpStreamStats), once a session is up.
window.inbound = async () => {
  if (!window.pc) return null;
  for (const s of (await window.pc.getStats()).values()) {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      return { framesDecoded: s.framesDecoded || 0, width: s.frameWidth || null, height: s.frameHeight || null,
               freezes: s.freezeCount || 0, frozenSeconds: s.totalFreezesDuration || 0,
               packetsLost: s.packetsLost || 0, plis: s.pliCount || 0 };
    }
  }
  return null;
};
window.grab = () => {
  const video = document.getElementById("v");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return canvas.toDataURL("image/png");
};
</script>"""

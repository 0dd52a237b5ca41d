// The preview's frame, shared by the kernel path (preview.js) and the in-page path (inpage.js): the canvas,
// the overlay on it, and the status line under it.

export function previewFrame(model, el) {
  const root = document.createElement("div");
  root.className = "streamlib-preview";
  root.style.cssText = "position:relative; display:inline-block; max-width:100%; background:#111; line-height:0;";
  const canvas = document.createElement("canvas");
  canvas.className = "streamlib-preview-canvas";
  canvas.width = model.get("width") || 640;
  canvas.height = model.get("height") || 360;
  canvas.style.cssText = "max-width:100%; height:auto; display:block; cursor:crosshair;";
  const overlay = document.createElement("div");
  overlay.className = "streamlib-preview-overlay";
  overlay.style.cssText =
    "position:absolute; left:6px; top:6px; padding:2px 6px; font:12px monospace; line-height:1.4;" +
    "color:#fff; background:rgba(0,0,0,0.55); border-radius:3px; pointer-events:none;";
  const status = document.createElement("div");
  status.className = "streamlib-preview-status";
  status.style.cssText = "font:12px sans-serif; line-height:1.4; color:#c62828; background:#fff;";
  root.append(canvas, overlay);
  el.append(root, status);
  return { root, canvas, overlay, status };
}

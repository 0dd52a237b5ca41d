export default [
  {
    files: ["src/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {
        window: "readonly", document: "readonly", navigator: "readonly", performance: "readonly",
        requestAnimationFrame: "readonly", cancelAnimationFrame: "readonly", createImageBitmap: "readonly",
        Blob: "readonly", IntersectionObserver: "readonly", ResizeObserver: "readonly", setTimeout: "readonly", clearTimeout: "readonly",
        setInterval: "readonly", clearInterval: "readonly", console: "readonly", DataView: "readonly",
        Worker: "readonly", URL: "readonly", OffscreenCanvas: "readonly", CustomEvent: "readonly",
        fetch: "readonly", RTCPeerConnection: "readonly", MediaStream: "readonly",
      },
    },
    rules: { "no-unused-vars": "error", "no-undef": "error", "prefer-const": "error" },
  },
];

// Bundles each widget's ES module into the Python package, so nothing is fetched from a CDN at run time.
import { build } from "esbuild";

const widgets = ["preview", "camera"];
await Promise.all(
  widgets.map((name) =>
    build({
      entryPoints: [`src/${name}.js`],
      outfile: `../streamlib/jupyter/static/${name}.js`,
      bundle: true,
      format: "esm",
      target: "es2020",
      minify: false,
      legalComments: "none",
    }),
  ),
);
console.log(`built ${widgets.length} widget modules into streamlib/jupyter/static/`);

import Foundation

/// The OpenAPI 3.1 document (kept by hand in `Sources/AuralEdge/openapi.json`;
/// a test checks it against the routes the server registers) and `/docs`,
/// a self-contained page that renders it without fetching anything else.
enum APIDescription {
    static let document: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url) else { return Array(#"{"openapi":"3.1.0"}"#.utf8) }
        return [UInt8](data)
    }()

    static let page = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Aural API</title>
    <style>
    body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
    h2{border-bottom:1px solid #ddd;margin-top:2em} .op{margin:1em 0;padding:.6em 1em;border:1px solid #e3e3e3;border-radius:6px}
    .m{display:inline-block;min-width:4.5em;font-weight:600;text-transform:uppercase} .get{color:#0a6}.post{color:#06c}.delete{color:#c30}
    code{background:#f4f4f4;padding:0 .3em;border-radius:3px} table{border-collapse:collapse} td{padding:.1em .8em .1em 0;vertical-align:top}
    </style></head><body>
    <h1 id="title">Aural API</h1><p id="summary"></p><div id="ops">Loading <a href="/openapi.json">/openapi.json</a>…</div>
    <script>
    const esc = s => String(s ?? "").replace(/[&<>]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;"}[c]));
    fetch("/openapi.json").then(r => r.json()).then(doc => {
      document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
      document.getElementById("summary").textContent = doc.info.description || "";
      const groups = {};
      for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
        if (typeof op !== "object" || !op.responses) continue;
        (groups[(op.tags || ["other"])[0]] ??= []).push([method, path, op]);
      }
      let html = "";
      for (const [tag, ops] of Object.entries(groups)) {
        html += `<h2>${esc(tag)}</h2>`;
        for (const [method, path, op] of ops) {
          const params = (op.parameters || []).map(p => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(p.description)}</td></tr>`).join("");
          const responses = Object.entries(op.responses).map(([code, r]) => `<tr><td><code>${esc(code)}</code></td><td>${esc(r.description)}</td></tr>`).join("");
          html += `<div class="op"><span class="m ${method}">${method}</span> <code>${esc(path)}</code><p>${esc(op.summary)}</p>` +
            (params ? `<table>${params}</table>` : "") + `<p><b>Responses</b></p><table>${responses}</table></div>`;
        }
      }
      document.getElementById("ops").innerHTML = html;
    });
    </script></body></html>
    """#
}

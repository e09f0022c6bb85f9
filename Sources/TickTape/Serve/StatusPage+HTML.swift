/// The status page's document: the skeleton the script fills in. Every figure the browser test
/// compares with the API carries a `data-*` attribute (the script sets them), so the test reads
/// values, not rendered text.
extension StatusPage {
    static func html(style: String, script: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>ticktape status</title>
        <link rel="icon" href="data:,">
        <style>
        \(style)
        </style>
        </head>
        <body>
        <header class="top">
          <h1>ticktape</h1>
          <div id="summary" class="summary" data-connections-up="" data-connections="">…</div>
          <div class="clock"><span id="clock-utc">--:--:-- UTC</span> <span id="clock-offset" class="muted"></span></div>
          <div id="poll" class="poll muted" role="status" aria-live="polite">starting</div>
        </header>
        <form id="token-form" class="token" hidden>
          <label for="token-input">This listener needs its bearer token (kept in this tab only):</label>
          <input id="token-input" type="password" autocomplete="off" spellcheck="false">
          <button type="submit">Use token</button>
        </form>
        <main>
          <section id="captures" aria-label="Captures"></section>
          <section class="card" aria-labelledby="symbol-title">
            <div class="card-head">
              <h2 id="symbol-title">Symbol</h2>
              <label class="muted" for="symbol-select">symbol</label>
              <select id="symbol-select"></select>
              <span id="symbol-source" class="muted"></span>
            </div>
            <div class="grid charts">
              <figure><figcaption>Mid price</figcaption><svg class="chart" id="chart-mid" data-chart="mid"></svg></figure>
              <figure><figcaption>Spread</figcaption><svg class="chart" id="chart-spread" data-chart="spread"></svg></figure>
              <figure><figcaption>Top-of-book size (bid, ask)</figcaption><svg class="chart" id="chart-sizes" data-chart="sizes"></svg></figure>
            </div>
            <div class="grid two">
              <div>
                <h3>Book (top levels, live)</h3>
                <div id="ladder" class="ladder" data-symbol="" data-best-bid="" data-best-ask="" data-update-id=""></div>
              </div>
              <div>
                <h3>Latest trades <span class="muted">(newest first; the taker's side)</span></h3>
                <table class="trades"><thead><tr><th>time (UTC)</th><th>side</th><th>price</th><th>qty</th><th>id</th></tr></thead>
                <tbody id="trades"></tbody></table>
              </div>
            </div>
          </section>
          <section class="card" aria-labelledby="host-title">
            <h2 id="host-title">Host</h2>
            <div id="host" class="kv"></div>
            <h3>Sinks</h3>
            <div id="sinks" class="muted">none</div>
          </section>
        </main>
        <footer class="muted">Polls <code>/api/v1/status</code>, <code>/latest</code>, <code>/trades</code> and <code>/book</code> once a second;
        charts keep the last 15 minutes in this tab. Times are UTC.</footer>
        <script>
        \(script)
        </script>
        </body>
        </html>
        """
    }
}

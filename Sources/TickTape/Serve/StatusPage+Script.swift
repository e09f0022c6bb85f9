/// The status page's script (plain JavaScript, no library): polls the JSON API once a second,
/// one round at a time (a slow daemon gets fewer requests, never a pile-up), keeps each time
/// series for 15 minutes in the tab and redraws the SVG charts; a hidden tab keeps polling
/// (so its history has no hole) but skips drawing.
///
/// Connection figures are taken once per telemetry window (keyed by `windowEndedAtNanos`),
/// symbol figures once per poll. Values the browser test compares with the API are written to
/// `data-*` attributes: `#summary[data-connections-up]`, `tr[data-connection][data-latency-p99]`
/// inside `[data-capture][data-window-ended-ms]`, `#ladder[data-best-bid][data-update-id]`,
/// and each chart's `svg[data-points]`.
extension StatusPage {
    static let script = #"""
        "use strict";
        (() => {
          const POLL_MS = 1000, KEEP_MS = 15 * 60 * 1000, LADDER_DEPTH = 10, TRADES_SHOWN = 20;
          const COLORS = ["var(--c0)", "var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)"];
          const SVGNS = "http://www.w3.org/2000/svg";
          const $ = (id) => document.getElementById(id);

          // The token: from the fragment once (never sent to the server), then this tab's sessionStorage.
          let token = null;
          const fragment = new URLSearchParams(location.hash.slice(1));
          if (fragment.get("token")) {
            token = fragment.get("token");
            sessionStorage.setItem("ticktape.token", token);
            history.replaceState(null, "", location.pathname);
          } else {
            token = sessionStorage.getItem("ticktape.token");
          }
          $("token-form").addEventListener("submit", (e) => {
            e.preventDefault();
            token = $("token-input").value.trim();
            sessionStorage.setItem("ticktape.token", token);
            $("token-input").value = "";
            $("token-form").hidden = true;
          });

          class Unauthorized extends Error {}
          async function api(path) {
            const headers = token ? { Authorization: "Bearer " + token } : {};
            const r = await fetch(path, { headers, cache: "no-store" });
            if (r.status === 401) throw new Unauthorized("token needed");
            const body = await r.json();
            if (!r.ok) { const e = new Error(body.error || ("HTTP " + r.status)); e.status = r.status; throw e; }
            return body;
          }

          // Time series, kept per key: [[tMillis, value], ...] for the last KEEP_MS.
          const series = new Map();
          function push(key, t, v) {
            if (v === null || v === undefined || !Number.isFinite(v)) return;
            let s = series.get(key);
            if (!s) { s = []; series.set(key, s); }
            if (s.length && s[s.length - 1][0] >= t) return;
            s.push([t, v]);
            const cut = t - KEEP_MS;
            let drop = 0;
            while (drop < s.length && s[drop][0] < cut) drop++;
            if (drop) s.splice(0, drop);
          }
          const points = (key) => series.get(key) || [];

          // Formatting.
          const pad = (n, w = 2) => String(n).padStart(w, "0");
          const utcTime = (ms) => { const d = new Date(ms); return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()); };
          function offsetText() {
            const m = -new Date().getTimezoneOffset();
            const sign = m >= 0 ? "+" : "-", a = Math.abs(m);
            return "local UTC" + sign + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
          }
          function fmt(x, digits = 3) {
            if (x === null || x === undefined || !Number.isFinite(x)) return "–";
            const a = Math.abs(x);
            if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toPrecision(digits);
            return x.toLocaleString("en-US", { maximumSignificantDigits: Math.max(digits, Math.ceil(Math.log10(a + 1))) });
          }
          const ms = (micros) => micros === null || micros === undefined ? "–" : fmt(micros / 1000) + " ms";
          function bytes(n) {
            if (n === null || n === undefined) return "–";
            const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0, x = n;
            while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
            return fmt(x) + " " + u[i];
          }
          const decimals = (s) => { const i = s.indexOf("."); return i < 0 ? 0 : s.length - i - 1; };

          function el(tag, attrs, ...children) {
            const e = document.createElement(tag);
            for (const [k, v] of Object.entries(attrs || {})) {
              if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
            }
            for (const c of children) if (c !== null && c !== undefined) e.append(c);
            return e;
          }

          // One SVG line chart: lines = [{key, label, color, dash}]. Sets data-points (every point drawn).
          function chart(svg, lines, opts = {}) {
            const w = Math.max(svg.clientWidth || 300, 100), h = Math.max(svg.clientHeight || 140, 60);
            const left = 48, right = 6, top = 6, bottom = 16;
            // The time axis spans the history kept: at least a minute, at most KEEP_MS.
            const now = Date.now();
            let first = now;
            for (const l of lines) { const p = points(l.key); if (p.length) first = Math.min(first, p[0][0]); }
            const span = Math.min(KEEP_MS, Math.max(60000, now - first)), t0 = now - span;
            let lo = Infinity, hi = -Infinity, count = 0;
            for (const l of lines) for (const [t, v] of points(l.key)) { if (t < t0) continue; lo = Math.min(lo, v); hi = Math.max(hi, v); count++; }
            if (!count) { lo = 0; hi = 1; }
            if (opts.zero && lo > 0) lo = 0;
            if (hi === lo) { const d = Math.abs(hi) * 0.001 || 1; hi += d; lo -= d; }
            const x = (t) => left + (t - t0) / span * (w - left - right);
            // Axis labels with just enough decimals to tell the three apart.
            const step = (hi - lo) / 2, places = Math.min(8, Math.max(0, Math.ceil(-Math.log10(step)) + 1));
            const label = opts.format || ((v) => Math.abs(v) >= 1e6 ? v.toPrecision(4) : v.toFixed(places));
            const y = (v) => top + (hi - v) / (hi - lo) * (h - top - bottom);
            svg.setAttribute("viewBox", "0 0 " + w + " " + h);
            svg.replaceChildren();
            const add = (tag, attrs, text) => {
              const e = document.createElementNS(SVGNS, tag);
              for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
              if (text !== undefined) e.textContent = text;
              svg.append(e); return e;
            };
            for (const v of [lo, (lo + hi) / 2, hi]) {
              add("line", { class: "grid", x1: left, x2: w - right, y1: y(v), y2: y(v) });
              add("text", { x: left - 4, y: y(v) + 3, "text-anchor": "end" }, label(v));
            }
            for (let k = 0; k <= 3; k++) {
              const ago = span * (3 - k) / 3;
              const text = k === 3 ? utcTime(now) : ago >= 120000 ? "-" + Math.round(ago / 60000) + "m" : "-" + Math.round(ago / 1000) + "s";
              add("text", { x: x(now - ago), y: h - 3, "text-anchor": k === 0 ? "start" : k === 3 ? "end" : "middle" }, text);
            }
            for (const l of lines) {
              const p = points(l.key).filter(([t]) => t >= t0);
              if (!p.length) continue;
              const line = add("polyline", { points: p.map(([t, v]) => x(t).toFixed(1) + "," + y(v).toFixed(1)).join(" "), stroke: l.color, "data-series": l.label, "data-points": p.length });
              if (l.dash) line.setAttribute("stroke-dasharray", "5 3");
              add("title", {}, l.label);
              if (p.length === 1) add("circle", { cx: x(p[0][0]), cy: y(p[0][1]), r: 2, fill: l.color });
            }
            if (!count) add("text", { x: (left + w) / 2, y: h / 2, "text-anchor": "middle" }, "no data in the last 15 minutes");
            svg.setAttribute("data-points", count);
            let legend = svg.nextElementSibling;
            if (!legend || !legend.classList.contains("legend")) { legend = el("div", { class: "legend" }); svg.after(legend); }
            legend.replaceChildren(...lines.map((l) => el("span", {}, el("i", { class: l.dash ? "dash" : "" }), l.label)));
            for (const [i, l] of lines.entries()) legend.children[i].firstChild.style.borderTopColor = l.color;
          }

          // Captures.
          const cards = new Map();
          const lastWindow = new Map();
          function captureCard(name) {
            let c = cards.get(name);
            if (c) return c;
            const root = el("section", { class: "card", "data-capture": name });
            const head = el("div", { class: "card-head" }, el("h2", {}, "Capture " + name));
            const badge = el("span", { class: "badge" });
            const rate = el("span", { class: "num" });
            const merged = el("span", { class: "muted" });
            head.append(badge, rate, merged);
            const alarms = el("ul", { class: "alarms" });
            const tbody = el("tbody");
            const table = el("div", { class: "table-wrap" }, el("table", {},
              el("thead", {}, el("tr", {}, ...["conn", "state", "reconnects", "ping RTT", "ring", "msg/s", "win share", "latency p50", "latency p99", "lag p99"].map((t) => el("th", {}, t)))),
              tbody));
            const fig = (caption, key) => {
              const s = document.createElementNS(SVGNS, "svg");
              s.setAttribute("class", "chart"); s.setAttribute("data-chart", key);
              return [el("figure", {}, el("figcaption", {}, caption), s), s];
            };
            const [fLat, sLat] = fig("Latency against E, per connection (p50 solid, p99 dashed)", "latency");
            const [fLag, sLag] = fig("Lag behind the first arrival (p50 solid, p99 dashed)", "lag");
            const [fWin, sWin] = fig("Win share", "winshare");
            const [fRate, sRate] = fig("Merged stream rate (msg/s)", "rate");
            const storage = el("div", { class: "kv" });
            const gaps = el("tbody");
            root.append(head, alarms, table, el("div", { class: "grid charts" }, fLat, fLag, fWin, fRate),
              el("h3", {}, "Storage"), storage,
              el("h3", {}, "Gap ledger (last entries)"),
              el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, el("tr", {}, ...["detected (UTC)", "stream", "cause", "missing ids", "connections up"].map((t) => el("th", {}, t)))), gaps)));
            $("captures").append(root);
            c = { root, badge, rate, merged, alarms, tbody, sLat, sLag, sWin, sRate, storage, gaps, connections: 0 };
            cards.set(name, c);
            return c;
          }

          function renderCapture(cap, now) {
            const c = captureCard(cap.name);
            const tel = cap.telemetry;
            const t = tel ? Math.round(tel.windowEndedAtNanos / 1e6) : null;
            const fresh = t !== null && lastWindow.get(cap.name) !== t;
            if (fresh) lastWindow.set(cap.name, t);
            c.root.setAttribute("data-window-ended-ms", t === null ? "" : String(t));
            const up = cap.connections.filter((k) => k.state === "connected").length;
            c.root.setAttribute("data-connections-up", up);
            c.badge.textContent = cap.delivering ? "delivering" : "NOT DELIVERING";
            c.badge.className = "badge " + (cap.delivering ? "up" : "down");
            c.rate.textContent = fmt(cap.messages.perSecond) + " msg/s merged";
            const mp = tel ? tel.latencyEventMicros.window : null;
            c.merged.textContent = "merged latency p50 " + ms(mp && mp.p50) + ", p99 " + ms(mp && mp.p99) + " · gaps " + cap.messages.gaps + " · late " + cap.messages.late;
            // Alarms and silent streams, highlighted.
            const items = cap.alarms.map((a) => (a.connection === null ? "merged" : "connection " + a.connection) + ": " + a.kind + " — " + a.detail);
            if (cap.messages.silentStreams > 0) items.push(cap.messages.silentStreams + " silent stream(s)");
            for (const a of cap.storage.alarms) items.push("storage: " + a);
            if (!cap.delivering) items.push("no connection delivers");
            c.alarms.replaceChildren(...items.map((s) => el("li", {}, s)));
            c.alarms.setAttribute("data-alarms", items.length);
            c.root.classList.toggle("alarm", items.length > 0);
            // Connections.
            c.tbody.replaceChildren(...cap.connections.map((k) => {
              const lat = k.latencyEventMicros ? k.latencyEventMicros.window : null;
              const lag = k.lagNanos ? k.lagNanos.window : null;
              const upNow = k.state === "connected";
              const row = el("tr", { class: upNow ? "" : "down", "data-connection": k.index, "data-state": k.state,
                "data-latency-p99": lat && lat.p99 !== null ? lat.p99 : "", "data-latency-p50": lat && lat.p50 !== null ? lat.p50 : "" },
                el("td", {}, "#" + k.index),
                el("td", {}, el("span", { class: "badge " + (upNow ? "up" : "down") }, upNow ? "up" : "DOWN")),
                el("td", {}, String(k.reconnects)),
                el("td", {}, k.pingRoundTripNanos === null ? "–" : ms(k.pingRoundTripNanos / 1000)),
                el("td", {}, k.ringDepth === null ? "–" : k.ringDepth + " / " + k.ringCapacity),
                el("td", {}, fmt(k.messagesPerSecond)),
                el("td", {}, k.winShare === null ? "–" : fmt(k.winShare * 100) + " %"),
                el("td", {}, ms(lat && lat.p50)), el("td", {}, ms(lat && lat.p99)),
                el("td", {}, lag && lag.p99 !== null ? ms(lag.p99 / 1000) : "–"));
              if (fresh) {
                const key = cap.name + "/" + k.index;
                if (lat) { push(key + "/lat50", t, lat.p50 === null ? null : lat.p50 / 1000); push(key + "/lat99", t, lat.p99 === null ? null : lat.p99 / 1000); }
                if (lag) { push(key + "/lag50", t, lag.p50 === null ? null : lag.p50 / 1e6); push(key + "/lag99", t, lag.p99 === null ? null : lag.p99 / 1e6); }
                push(key + "/win", t, k.winShare === null ? null : k.winShare * 100);
              }
              return row;
            }));
            if (fresh) push(cap.name + "/rate", t, cap.messages.perSecond);
            // Storage.
            const st = cap.storage;
            c.storage.replaceChildren(
              el("span", {}, "open segment ", el("b", { "data-open-segment": st.openSegment || "" }, st.openSegment || "none")),
              el("span", {}, "written ", el("b", {}, bytes(st.bytesWritten))),
              el("span", {}, "lines ", el("b", {}, fmt(st.linesWritten, 6))),
              el("span", {}, "segments closed ", el("b", {}, String(st.segmentsClosed))),
              el("span", {}, "sealed today ", el("b", { "data-sealed-today": st.sealedToday ?? "" }, st.sealedToday == null ? "…" : String(st.sealedToday))),
              el("span", {}, "on disk ", el("b", { "data-bytes-on-disk": st.bytesOnDisk ?? "" }, st.bytesOnDisk == null ? "…" : bytes(st.bytesOnDisk) + " in " + st.sealedOnDisk + " sealed")),
              el("span", {}, "seal backlog ", el("b", { class: st.sealBacklog > 0 ? "warn" : "" }, String(st.sealBacklog))));
            const gaps = st.recentGaps.slice().reverse();
            c.gaps.replaceChildren(...(gaps.length ? gaps.map((g) => el("tr", {},
              el("td", {}, utcTime(g.detected_at_ns / 1e6)), el("td", {}, g.stream), el("td", {}, g.cause),
              el("td", {}, g.first_missing < 0 ? "–" : g.first_missing + "…" + g.last_missing), el("td", {}, String(g.connections_up))))
              : [el("tr", {}, el("td", { colSpan: 5, class: "muted" }, "no gaps"))]));
            c.gaps.setAttribute("data-gaps", gaps.length);
            if (document.hidden) return;
            const conns = cap.connections.map((k) => k.index);
            const colour = (i) => COLORS[i % COLORS.length];
            chart(c.sLat, conns.flatMap((i) => [
              { key: cap.name + "/" + i + "/lat50", label: "#" + i + " p50", color: colour(i) },
              { key: cap.name + "/" + i + "/lat99", label: "#" + i + " p99", color: colour(i), dash: true }]), { format: (v) => fmt(v) + "ms", zero: true });
            chart(c.sLag, conns.flatMap((i) => [
              { key: cap.name + "/" + i + "/lag50", label: "#" + i + " p50", color: colour(i) },
              { key: cap.name + "/" + i + "/lag99", label: "#" + i + " p99", color: colour(i), dash: true }]), { format: (v) => fmt(v) + "ms", zero: true });
            chart(c.sWin, conns.map((i) => ({ key: cap.name + "/" + i + "/win", label: "#" + i, color: colour(i) })), { format: (v) => fmt(v) + "%", zero: true });
            chart(c.sRate, [{ key: cap.name + "/rate", label: "merged", color: COLORS[0] }], { zero: true });
          }

          function renderHost(status) {
            const d = status.disk, r = status.relay, b = status.books;
            const kv = [["version", status.version], ["disk free", d.freeBytes === null ? "–" : bytes(d.freeBytes) + " of " + bytes(d.totalBytes)],
              ["data dir", d.path]];
            if (r) kv.push(["relay clients", r.clients], ["listener connections", r.openConnections], ["slow closed", r.slowClosed]);
            if (b) kv.push(["book resyncs", b.resyncs], ["crossed", b.crossed], ["bars closed", b.barsClosed]);
            $("host").replaceChildren(...kv.map(([k, v]) => el("span", {}, k + " ", el("b", {}, String(v)))));
            const sinks = status.sinks;
            $("sinks").setAttribute("data-sinks", sinks.length);
            $("sinks").replaceChildren(sinks.length ? el("div", { class: "kv" }, ...sinks.map((s) => el("span", {}, (s.name || "sink") + " lag ", el("b", {}, s.lagSeconds === undefined ? "–" : fmt(s.lagSeconds) + " s")))) : "none");
            const all = status.captures.flatMap((c) => c.connections);
            const up = all.filter((k) => k.state === "connected").length;
            const alarms = status.captures.reduce((n, c) => n + c.alarms.length + (c.messages.silentStreams > 0 ? 1 : 0), 0);
            const s = $("summary");
            s.setAttribute("data-connections-up", up);
            s.setAttribute("data-connections", all.length);
            s.textContent = up + " of " + all.length + " connections up · " + status.captures.length + " capture(s)" + (alarms ? " · " + alarms + " alarm(s)" : "");
            s.className = "summary " + (up < all.length || alarms ? "down" : "up");
          }

          // Symbols.
          let symbols = [], symbolsAt = 0, selected = sessionStorage.getItem("ticktape.symbol");
          const select = $("symbol-select");
          select.addEventListener("change", () => { selected = select.value; sessionStorage.setItem("ticktape.symbol", selected); resetSymbol(); });
          function resetSymbol() { for (const k of ["mid", "spread", "bidqty", "askqty"]) series.delete(k); $("trades").replaceChildren(); }
          async function loadSymbols() {
            const s = await api("/api/v1/symbols");
            const book = new Set();
            for (const c of s.captures) for (const x of c.symbols) if (x.book) book.add(x.symbol);
            symbols = s.symbols.map((name) => ({ name, book: book.has(name) }));
            if (!symbols.some((x) => x.name === selected)) selected = (symbols.find((x) => x.book) || symbols[0] || {}).name || null;
            select.replaceChildren(...symbols.map((x) => el("option", { value: x.name, selected: x.name === selected }, x.name + (x.book ? "" : " (no book)"))));
            symbolsAt = Date.now();
          }

          function renderLatest(l, now) {
            const top = l.bookTop || l.bookTicker;
            $("symbol-source").textContent = l.bookTop ? "from the local book" : l.bookTicker ? "from bookTicker" : "no quote yet";
            if (top) {
              const bid = Number(top.bidPrice), ask = Number(top.askPrice);
              const dp = Math.max(decimals(top.bidPrice), decimals(top.askPrice));
              push("mid", now, (bid + ask) / 2);
              push("spread", now, Number((ask - bid).toFixed(dp)));
              push("bidqty", now, Number(top.bidQty));
              push("askqty", now, Number(top.askQty));
            }
            if (document.hidden) return;
            chart($("chart-mid"), [{ key: "mid", label: "mid", color: COLORS[0] }]);
            chart($("chart-spread"), [{ key: "spread", label: "spread", color: COLORS[1] }], { zero: true });
            chart($("chart-sizes"), [{ key: "bidqty", label: "bid size", color: COLORS[2] }, { key: "askqty", label: "ask size", color: COLORS[1], dash: true }], { zero: true });
          }

          // The newest trades, as /api/v1/trades keeps them (every trade, not one per poll).
          function renderTrades(t) {
            const body = $("trades");
            body.replaceChildren(...t.trades.map((x) => el("tr", { class: x.buyerIsMaker ? "sell" : "buy" },
              el("td", {}, utcTime(x.time)), el("td", {}, x.buyerIsMaker ? "sell" : "buy"), el("td", {}, x.price), el("td", {}, x.qty), el("td", {}, String(x.id)))));
            body.setAttribute("data-trades", t.trades.length);
            body.setAttribute("data-newest-id", t.trades.length ? String(t.trades[0].id) : "");
          }

          function renderBook(b) {
            const ladder = $("ladder");
            ladder.setAttribute("data-symbol", b.symbol);
            ladder.setAttribute("data-update-id", String(b.lastUpdateId));
            ladder.setAttribute("data-best-bid", b.bids.length ? b.bids[0][0] : "");
            ladder.setAttribute("data-best-ask", b.asks.length ? b.asks[0][0] : "");
            ladder.setAttribute("data-levels", Math.min(b.bids.length, b.asks.length));
            const side = (levels, cls) => {
              let sum = 0; const cum = levels.map(([, q]) => (sum += Number(q)));
              return el("div", { class: cls }, el("div", { class: "head" }, el("span", {}, cls === "bids" ? "bid" : "ask"), el("span", {}, "qty")),
                ...levels.map(([p, q], i) => { const bar = el("div", { class: "bar" }); bar.style.width = (100 * cum[i] / (sum || 1)).toFixed(1) + "%";
                  return el("div", { class: "row" }, bar, el("span", { class: "p" }, p), el("span", {}, q)); }));
            };
            ladder.replaceChildren(side(b.bids, "bids"), side(b.asks, "asks"));
          }

          // The poll loop: one round at a time, never overlapping; a failure is shown, not thrown.
          let rounds = 0;
          async function round() {
            const now = Date.now();
            $("clock-utc").textContent = utcTime(now) + " UTC";
            $("clock-offset").textContent = offsetText();
            try {
              if (!symbols.length || now - symbolsAt > 60000) await loadSymbols();
              const sym = symbols.find((x) => x.name === selected);
              const [status, latest, trades, book] = await Promise.all([
                api("/api/v1/status"),
                sym ? api("/api/v1/latest?symbol=" + encodeURIComponent(sym.name)) : null,
                sym ? api("/api/v1/trades?symbol=" + encodeURIComponent(sym.name) + "&limit=" + TRADES_SHOWN) : null,
                sym && sym.book ? api("/api/v1/book?symbol=" + encodeURIComponent(sym.name) + "&depth=" + LADDER_DEPTH).catch((e) => {
                  if (e.status === 503) return null; throw e; }) : null]);
              for (const cap of status.captures) renderCapture(cap, now);
              renderHost(status);
              if (latest) renderLatest(latest, now);
              if (trades) renderTrades(trades);
              if (book) renderBook(book);
              rounds++;
              document.body.setAttribute("data-rounds", rounds);
              $("poll").textContent = "updated " + utcTime(now) + " UTC";
              $("poll").className = "poll muted";
            } catch (e) {
              if (e instanceof Unauthorized) $("token-form").hidden = false;
              $("poll").textContent = "cannot reach the daemon: " + e.message;
              $("poll").className = "poll down";
            }
            setTimeout(round, POLL_MS);
          }
          $("clock-offset").textContent = offsetText();
          round();
        })();
        """#
}

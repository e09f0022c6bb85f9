/// The status page's CSS: one column on a phone, a grid on a laptop; light and dark schemes;
/// the chart colours are the Okabe–Ito palette (distinguishable with the common colour-vision
/// deficiencies), p99 lines are dashed and alarms carry a word as well as a colour, so nothing
/// is told by colour alone.
extension StatusPage {
    static let style = """
        :root { --bg:#fafafa; --fg:#1b1b1b; --muted:#5c5c5c; --card:#fff; --line:#d9d9d9; --bad:#b00020; --badbg:#fde7ea;
          --good:#00734d; --warn:#8a5a00; --bid:#00734d; --ask:#b3261e; --grid:#e6e6e6;
          --c0:#0072B2; --c1:#D55E00; --c2:#009E73; --c3:#CC79A7; --c4:#56B4E9; --c5:#E69F00; }
        @media (prefers-color-scheme: dark) {
          :root { --bg:#121212; --fg:#e8e8e8; --muted:#a8a8a8; --card:#1d1d1d; --line:#3a3a3a; --bad:#ff8a80; --badbg:#3b1418;
            --good:#5fd3a0; --warn:#ffcc66; --bid:#5fd3a0; --ask:#ff8a80; --grid:#2c2c2c;
            --c0:#56B4E9; --c1:#E69F00; --c2:#5fd3a0; --c3:#CC79A7; --c4:#9ad0f5; --c5:#F0E442; }
        }
        * { box-sizing: border-box; }
        body { margin:0; overflow-wrap:anywhere; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
        code, .num, td, .kv b { font-variant-numeric: tabular-nums; }
        .top { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:baseline; padding:.75rem 1rem;
          border-bottom:1px solid var(--line); background:var(--card); position:sticky; top:0; z-index:1; }
        h1 { font-size:1.25rem; margin:0; }
        h2 { font-size:1.05rem; margin:0 0 .5rem; }
        h3 { font-size:.95rem; margin:.75rem 0 .35rem; }
        .muted { color:var(--muted); }
        .summary { font-weight:600; }
        .poll { margin-left:auto; }
        main { padding:1rem; display:grid; gap:1rem; max-width:1400px; margin:0 auto; }
        #captures { display:grid; gap:1rem; }
        .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.75rem 1rem; min-width:0; }
        .card.alarm { border-color:var(--bad); box-shadow:0 0 0 2px var(--badbg); }
        .card-head { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:baseline; }
        .grid { display:grid; gap:.75rem 1rem; }
        .charts { grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
        .two { grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
        figure { margin:0; min-width:0; }
        figcaption { font-size:.85rem; color:var(--muted); }
        svg.chart { width:100%; height:140px; display:block; }
        svg.chart text { fill:var(--muted); font-size:10px; }
        svg.chart .grid { stroke:var(--grid); stroke-width:1; }
        svg.chart polyline { fill:none; stroke-width:1.6; vector-effect:non-scaling-stroke; }
        .legend { display:flex; flex-wrap:wrap; gap:.25rem .75rem; font-size:.8rem; }
        .legend i { display:inline-block; width:1.4em; height:0; border-top:2px solid; vertical-align:middle; margin-right:.3em; }
        .legend i.dash { border-top-style:dashed; }
        .table-wrap { overflow-x:auto; }
        table { border-collapse:collapse; width:100%; font-size:.85rem; }
        th, td { text-align:right; padding:.2rem .45rem; border-bottom:1px solid var(--line); white-space:nowrap; }
        th:first-child, td:first-child { text-align:left; }
        th { color:var(--muted); font-weight:500; }
        .badge { display:inline-block; padding:0 .45em; border-radius:4px; font-size:.8rem; font-weight:600; border:1px solid currentColor; }
        .up { color:var(--good); } .down { color:var(--bad); } .warn { color:var(--warn); }
        tr.down td { background:var(--badbg); }
        table.trades tr.buy td:nth-child(2) { color:var(--bid); } table.trades tr.sell td:nth-child(2) { color:var(--ask); }
        .alarms { margin:.35rem 0; padding:0; list-style:none; }
        .alarms li { color:var(--bad); background:var(--badbg); border-left:4px solid var(--bad); padding:.2rem .5rem; margin:.2rem 0; }
        .alarms li::before { content:"ALARM "; font-weight:700; }
        .kv { display:flex; flex-wrap:wrap; gap:.25rem 1.25rem; }
        .kv span { overflow-wrap:anywhere; }
        .ladder { display:grid; grid-template-columns:1fr 1fr; gap:0 .5rem; font-size:.85rem; }
        .ladder .row { position:relative; display:flex; justify-content:space-between; padding:.1rem .35rem; }
        .ladder .bar { position:absolute; top:0; bottom:0; opacity:.18; z-index:0; }
        .ladder .bids .bar { right:0; background:var(--bid); }
        .ladder .asks .bar { left:0; background:var(--ask); }
        .ladder .row span { position:relative; z-index:1; }
        .ladder .bids .p { color:var(--bid); font-weight:600; }
        .ladder .asks .p { color:var(--ask); font-weight:600; }
        .ladder .head { color:var(--muted); font-size:.8rem; display:flex; justify-content:space-between; padding:0 .35rem; }
        .token { margin:1rem; padding:.75rem 1rem; border:2px solid var(--bad); border-radius:8px; background:var(--card);
          display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; }
        .token[hidden] { display:none; }
        .token input { flex:1 1 16rem; font:inherit; padding:.3rem; }
        footer { padding:0 1rem 1rem; font-size:.8rem; text-align:center; }
        @media (max-width: 640px) {
          body { font-size:13px; }
          main { padding:.5rem; gap:.5rem; }
          .card { padding:.5rem .6rem; }
          .poll { margin-left:0; }
          .charts, .two { grid-template-columns:1fr; }
          svg.chart { height:120px; }
        }
        """
}

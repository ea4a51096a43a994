import CAMImaging
/// The report's Mustache templates (swift-mustache; `{{x}}` is HTML-escaped, `{{{x}}}` is not and
/// is used only for SVG that `SVGChart` built). One page, its style inline, no scripts.
enum ReportTemplates {
    /// Partials by name, rendered together with `page`.
    static var all: [String: String] {
        [
            "page": page, "style": style, "summary": summary, "charts": charts, "faithfulness": faithfulness, "training": training,
            "gallery": gallery,
            "settings": settings, "figure": figure, "table": table
        ]
    }

    static let page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="{{generator}}">
        <title>{{title}}</title>
        <style>
        {{>style}}
        </style>
        </head>
        <body>
        <header>
          <div class="wrap">
            <h1>{{title}}</h1>
            <p class="lead">{{subtitle}}</p>
            <nav>
              <a href="#summary">Summary</a>
              {{#charts}}<a href="#charts">Charts</a>{{/charts}}
              {{#faithfulness}}<a href="#faithfulness">Faithfulness</a>{{/faithfulness}}
              {{#training}}<a href="#training">Training</a>{{/training}}
              {{#gallery}}<a href="#gallery">Gallery</a>{{/gallery}}
              <a href="#settings">Settings</a>
            </nav>
          </div>
        </header>
        <main class="wrap">
        {{#hasWarnings}}
        <section class="notes" id="notes">
          <ul>{{#warnings}}<li>{{.}}</li>{{/warnings}}</ul>
        </section>
        {{/hasWarnings}}
        {{#summary}}{{>summary}}{{/summary}}
        {{#charts}}{{>charts}}{{/charts}}
        {{#faithfulness}}{{>faithfulness}}{{/faithfulness}}
        {{#training}}{{>training}}{{/training}}
        {{#gallery}}{{>gallery}}{{/gallery}}
        {{#settings}}{{>settings}}{{/settings}}
        </main>
        <footer class="wrap">{{generator}} · {{created}}</footer>
        </body>
        </html>

        """

    static let summary = """
        <section id="summary">
          <h2>Summary</h2>
          {{#hasResults}}
          <p class="hint">{{samples}} images. Accuracies in %, higher is better; the best method in each column is in bold.
          GT-known loc: the rule's box has IoU ≥ {{boxAccIoU}} with the ground truth; top-1 loc: and the top class is right;
          MaxBoxAcc: best one-box accuracy over the map thresholds at IoU {{boxAccIoU}}; MaxBoxAccV2: mean of the best all-box
          accuracies at IoU {{iouList}}. Baselines predict one fixed box for every image: the whole image, or a box of the mean
          ground-truth size in the centre.</p>
          {{>table}}
          {{/hasResults}}
          {{^hasResults}}
          <p class="empty" id="no-results">This evaluation has no results: no image was scored.</p>
          {{/hasResults}}
        </section>

        """

    /// A results table: `tableID`, `columns` (name, numeric) and `rows` (kind, cells: text, numeric, best).
    static let table = """
        <div class="table-wrap">
        <table id="{{tableID}}">
          <thead><tr>{{#columns}}<th scope="col"{{#numeric}} class="num"{{/numeric}}>{{name}}</th>{{/columns}}</tr></thead>
          <tbody>
          {{#rows}}
          <tr class="{{kind}}">{{#cells}}<td{{#numeric}} class="num{{#best}} best{{/best}}"{{/numeric}}>{{text}}</td>{{/cells}}</tr>
          {{/rows}}
          </tbody>
        </table>
        </div>

        """

    static let figure = """
        <figure class="chart-card" id="{{id}}">
          <figcaption>{{caption}}</figcaption>
          {{{svg}}}
          {{#hasNote}}<p class="hint">{{note}}</p>{{/hasNote}}
        </figure>

        """

    static let charts = """
        <section id="charts">
          <h2>Charts</h2>
          {{#comparison}}
          <div class="grid one">{{>figure}}</div>
          {{/comparison}}
          {{#combos}}
          <h3>{{title}}</h3>
          <div class="grid">
            {{#histogram}}{{>figure}}{{/histogram}}
            {{#curves}}{{>figure}}{{/curves}}
          </div>
          {{/combos}}
        </section>

        """

    static let faithfulness = """
        <section id="faithfulness">
          <h2>Faithfulness</h2>
          <p class="hint">{{hint}}</p>
          {{>table}}
          <div class="grid">
            {{#figures}}{{>figure}}{{/figures}}
          </div>
        </section>

        """

    static let training = """
        <section id="training">
          <h2>Training</h2>
          <p class="hint">{{epochs}} epochs from {{source}}. Best validation top-1: {{bestTop1}} (epoch {{bestEpoch}}).</p>
          <div class="grid">
            {{#loss}}{{>figure}}{{/loss}}
            {{#accuracy}}{{>figure}}{{/accuracy}}
          </div>
        </section>

        """

    static let gallery = """
        <section id="gallery">
          <h2>Gallery</h2>
          <p class="hint">Images ranked by the IoU of <strong>{{method}}</strong>: the best, the median and the worst.
          {{#hasPanels}}Each panel: the photo, then each method and layer; {{rowsText}}. Ground truth in green, the rule's boxes
          in red with their IoU. Tap a panel for full size.{{/hasPanels}}</p>
          {{#groups}}
          <h3>{{name}}</h3>
          <div class="gallery">
            {{#items}}
            <figure class="panel">
              {{#hasImage}}<a href="{{image}}"><img src="{{image}}" alt="{{alt}}" width="{{width}}" height="{{height}}"></a>{{/hasImage}}
              <figcaption><strong>IoU {{iou}}</strong> · {{id}} · {{className}}{{#hasPrediction}} · predicted {{predicted}}{{/hasPrediction}}</figcaption>
            </figure>
            {{/items}}
          </div>
          {{/groups}}
        </section>

        """

    static let settings = """
        <section id="settings">
          <h2>Settings</h2>
          {{#groups}}
          <h3>{{name}}</h3>
          <div class="table-wrap">
          <table class="settings">
            <tbody>{{#items}}<tr><th scope="row">{{key}}</th><td>{{value}}</td></tr>{{/items}}</tbody>
          </table>
          </div>
          {{/groups}}
        </section>

        """

    static let style = """
        :root { --fg: #1d1d1f; --muted: #5f6368; --line: #dadce0; --bg: #f6f7f9; --card: #fff; --accent: #0072B2; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
               color: var(--fg); background: var(--bg); }
        .wrap { max-width: 1180px; margin: 0 auto; padding: 0 16px; }
        header { background: var(--card); border-bottom: 1px solid var(--line); padding: 14px 0 8px; }
        h1 { font-size: 1.45rem; margin: 0 0 2px; }
        h2 { font-size: 1.2rem; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
        h3 { font-size: 1rem; margin: 18px 0 8px; }
        .lead { margin: 0 0 8px; color: var(--muted); overflow-wrap: anywhere; }
        nav { display: flex; flex-wrap: wrap; gap: 4px 16px; }
        nav a { color: var(--accent); text-decoration: none; font-weight: 600; }
        .hint { color: var(--muted); font-size: .9rem; margin: 6px 0 10px; }
        .notes { background: #fff8e1; border: 1px solid #f0c36d; border-radius: 8px; padding: 4px 12px; margin-top: 16px; }
        .notes ul { margin: 6px 0; padding-left: 18px; }
        .table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
        th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
        thead th { background: #eef1f5; font-size: .85rem; }
        .num { text-align: right; }
        tbody tr:last-child td, tbody tr:last-child th { border-bottom: 0; }
        tr.baseline td { color: var(--muted); background: #fafafa; }
        #summary-table { border-collapse: separate; border-spacing: 0; }
        #summary-table td:first-child, #summary-table th:first-child { position: sticky; left: 0; background: inherit; }
        #summary-table tbody tr { background: var(--card); }
        #summary-table tr.baseline { background: #fafafa; }
        #summary-table thead tr { background: #eef1f5; }
        td.best { font-weight: 700; color: #000; }
        table.settings th, table.settings td { padding: 4px 10px; font-size: .9rem; }
        table.settings th { width: 30%; font-weight: 600; color: var(--muted); }
        table.settings td { white-space: normal; overflow-wrap: anywhere; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 14px; }
        .grid.one { grid-template-columns: minmax(0, 600px); }
        figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
        figcaption { font-weight: 600; font-size: .92rem; margin-bottom: 4px; }
        svg.chart { display: block; width: 100%; height: auto; }
        .gallery { display: grid; grid-template-columns: 1fr; gap: 12px; }
        .gallery img { display: block; width: 100%; height: auto; border-radius: 4px; }
        .gallery figcaption { font-weight: 400; margin: 6px 0 0; overflow-wrap: anywhere; }
        .empty { background: var(--card); border: 1px dashed var(--line); border-radius: 8px; padding: 14px; color: var(--muted); }
        footer { color: var(--muted); font-size: .8rem; padding: 24px 16px 32px; }
        @media (max-width: 600px) {
          body { font-size: 14px; }
          .wrap { padding: 0 10px; }
          th, td { padding: 5px 7px; }
          .grid { grid-template-columns: 1fr; }
          #summary-table { font-size: .82rem; }
          h1 { font-size: 1.2rem; }
        }
        """
}

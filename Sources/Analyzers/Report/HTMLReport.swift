import Foundation
import LoupeCore

/// report.html: one self-contained page that works offline — figures inline as base64 PNG (large ones
/// as JPEG, see `embedded`), tables as HTML, and t-SNE/PCA maps as an inline SVG scatter whose points
/// show the probe image and label on hover (plain JavaScript, no libraries, no network). The probe
/// images of every map are stored once, as small JPEGs, however many maps show them.
public enum HTMLReport {
    public static func render(_ report: Report) -> String {
        var body = "<header><h1>\(escape(report.title))</h1><p class=\"sub\">\(Markdown.inline(report.subtitle))</p>\n<dl>"
        for (name, lines) in report.facts {
            body += "<dt>\(escape(name))</dt><dd>" + lines.map(Markdown.inline).joined(separator: "<br>") + "</dd>"
        }
        body += "</dl></header>\n"
        if !report.notes.isEmpty {
            body += "<aside class=\"notes\"><b>Notes from reading the inputs</b><ul>" + report.notes.map { "<li>\(Markdown.inline($0))</li>" }.joined() + "</ul></aside>\n"
        }
        var mapIndex = 0
        var thumbs = Thumbnails()
        for block in report.blocks {
            switch block {
            case .markdown(let text): body += "<section>" + Markdown.html(text) + "</section>\n"
            case .table(let t) where !t.showInReport:
                body += "<section><p><b>\(escape(t.title))</b>: \(t.rows.count) rows in <code>\(escape(t.fileName ?? ""))</code>.</p></section>\n"
            case .table(let t): body += table(t)
            case .figure(let f):
                body += "<figure><figcaption><b>\(escape(f.title))</b>\(f.caption.isEmpty ? "" : " — " + Markdown.inline(f.caption))</figcaption>"
                let image = embedded(f.png)
                body += "<img alt=\"\(escape(f.title))\" src=\"data:\(image.mime);base64,\(image.data.base64EncodedString())\"></figure>\n"
            case .interactive(let map):
                body += interactive(map, index: mapIndex, thumbs: &thumbs)
                mapIndex += 1
            }
        }
        if !report.results.isEmpty {
            body += "<section><h2>Data</h2><p>The numbers are in " + report.results.map { "<code>\(escape($0.path))</code>" }.joined(separator: ", ")
            body += " (HDF5, readable with h5py) and the headline figures in <code>summary.json</code>; <code>report.ipynb</code> reloads them in Python.</p></section>\n"
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(report.title))</title>
        <style>\(css)</style></head>
        <body>
        \(body)
        <div id="tip" class="tip"></div>
        \(mapIndex > 0 ? "<script type=\"application/json\" id=\"thumbs-data\">\(JSONValue.strings(thumbs.uris).serialized())</script>\n<script>\(script)</script>" : "")
        </body></html>

        """
    }

    static func table(_ t: Table) -> String {
        var s = "<section class=\"table\"><p><b>\(escape(t.title))</b>\(t.fileName.map { " <span class=\"file\">(\(escape($0)))</span>" } ?? "")</p><table><thead><tr>"
        s += t.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in t.rows { s += "<tr>" + row.map { "<td>\(Markdown.inline($0))</td>" }.joined() + "</tr>" }
        return s + "</tbody></table></section>\n"
    }

    /// Figures above this size are embedded as JPEG when that saves at least a fifth: heat maps, image
    /// grids, scatter plots and thumbnail maps shrink 2–5×, small line charts stay crisp PNGs. The PNGs
    /// themselves stay beside the report (figures/, or the analyzer's folder) at full quality.
    public static let jpegAbove = 40_000
    /// JPEG quality of embedded figures and thumbnails: at 75 text and thin lines stay legible on the page.
    public static let jpegQuality = 75

    /// A figure's bytes as the page embeds them: the PNG, or a JPEG of it when it is large and that pays.
    public static func embedded(_ png: Data) -> (mime: String, data: Data) {
        // A PNG that does not decode or encode stays as it is: only the page grows.
        guard png.count > jpegAbove, let image = try? Image.decode(png, name: "figure"),
              let jpeg = try? image.jpegData(quality: jpegQuality), jpeg.count * 5 <= png.count * 4 else { return ("image/png", png) }
        return ("image/jpeg", jpeg)
    }

    /// The probe images of every map on the page, each stored once as a data URI.
    struct Thumbnails {
        var uris: [String] = []
        var index: [Data: Int] = [:]

        /// The shared index of a thumbnail (-1 for none), re-encoded as JPEG when that is smaller.
        mutating func add(_ png: Data) -> Int {
            guard !png.isEmpty else { return -1 }
            if let known = index[png] { return known }
            let jpeg = (try? Image.decode(png, name: "thumbnail").jpegData(quality: HTMLReport.jpegQuality)).flatMap { $0.count < png.count ? $0 : nil }
            uris.append(jpeg.map { "data:image/jpeg;base64," + $0.base64EncodedString() } ?? "data:image/png;base64," + png.base64EncodedString())
            index[png] = uris.count - 1
            return uris.count - 1
        }
    }

    /// A scatter whose data (positions, categories, labels, thumbnail indices) sits in a JSON block beside it.
    static func interactive(_ map: InteractiveMap, index: Int, thumbs: inout Thumbnails) -> String {
        let data: JSONValue = .object([
            ("title", .string(map.title)),
            ("x", .array(map.x.map { .double(Double($0)) })),
            ("y", .array(map.y.map { .double(Double($0)) })),
            ("c", .ints(map.category)),
            ("names", .strings(map.categoryNames)),
            ("labels", .strings(map.labels)),
            ("thumbs", .ints(map.thumbnails.map { thumbs.add($0) })),
            ("palette", .strings(Palette.hexColors(count: max(map.categoryNames.count, 1)))),
        ])
        return """
        <figure class="map"><figcaption><b>\(escape(map.title))</b> — hover a point to see its probe image and label.</figcaption>
        <div class="mapwrap" id="map\(index)"></div>
        <script type="application/json" id="map\(index)-data">\(data.serialized())</script></figure>

        """
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static let css = """
    body{font-family:"DejaVu Sans",system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
    h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1.05em}
    .sub{color:#555;margin-top:0}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;font-size:.92em}dt{font-weight:bold}dd{margin:0}
    code{background:#f3f3f3;padding:0 .25em;border-radius:3px;font-size:.92em}
    figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{margin-bottom:.4em;font-size:.95em}
    table{border-collapse:collapse;font-size:.9em;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f5f5f5}
    .notes{background:#fff8e1;border-left:4px solid #f0c040;padding:.5em 1em;font-size:.92em}.file{color:#777;font-weight:normal}
    section,.table{overflow-x:auto}
    .mapwrap{position:relative;border:1px solid #eee}.mapwrap svg{display:block;width:100%;height:auto}
    .tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:4px;font-size:12px;display:none;box-shadow:0 2px 6px rgba(0,0,0,.25);z-index:9}
    .tip img{display:block;width:112px;height:112px;image-rendering:pixelated;margin-bottom:3px}
    .legend{font-size:12px}
    """

    /// Draws every `.mapwrap` from its JSON block as SVG; hovering a point fills the tooltip.
    static let script = """
    (function(){
    var NS="http://www.w3.org/2000/svg",tip=document.getElementById("tip"),TH=JSON.parse(document.getElementById("thumbs-data").textContent);
    function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e;}
    function ticks(lo,hi,n){var span=hi-lo||1,step=Math.pow(10,Math.floor(Math.log10(span/n))),err=span/n/step;
     if(err>=7.5)step*=10;else if(err>=3.5)step*=5;else if(err>=1.5)step*=2;var t=[];for(var v=Math.ceil(lo/step)*step;v<=hi+1e-9*span;v+=step)t.push(+v.toPrecision(12));return t;}
    document.querySelectorAll(".mapwrap").forEach(function(wrap){
     var d=JSON.parse(document.getElementById(wrap.id+"-data").textContent);
     var W=760,H=560,L=56,R=170,T=16,B=44,pw=W-L-R,ph=H-T-B;
     var xs=d.x.filter(function(v){return v!==null}),ys=d.y.filter(function(v){return v!==null});
     var x0=Math.min.apply(null,xs),x1=Math.max.apply(null,xs),y0=Math.min.apply(null,ys),y1=Math.max.apply(null,ys);
     var px=(x1-x0)*0.04||1,py=(y1-y0)*0.04||1;x0-=px;x1+=px;y0-=py;y1+=py;
     function sx(v){return L+(v-x0)/(x1-x0)*pw}function sy(v){return T+ph-(v-y0)/(y1-y0)*ph}
     var svg=el("svg",{viewBox:"0 0 "+W+" "+H,"font-family":"DejaVu Sans,sans-serif","font-size":"11"},wrap);
     el("rect",{x:L,y:T,width:pw,height:ph,fill:"none",stroke:"#333"},svg);
     ticks(x0,x1,6).forEach(function(v){var X=sx(v);el("line",{x1:X,x2:X,y1:T+ph,y2:T+ph+5,stroke:"#333"},svg);var t=el("text",{x:X,y:T+ph+18,"text-anchor":"middle"},svg);t.textContent=v;});
     ticks(y0,y1,6).forEach(function(v){var Y=sy(v);el("line",{x1:L-5,x2:L,y1:Y,y2:Y,stroke:"#333"},svg);var t=el("text",{x:L-8,y:Y+4,"text-anchor":"end"},svg);t.textContent=v;});
     var g=el("g",{},svg);
     d.x.forEach(function(v,i){if(v===null||d.y[i]===null)return;
      var c=el("circle",{cx:sx(v),cy:sy(d.y[i]),r:4.5,fill:d.palette[d.c[i]%d.palette.length],"fill-opacity":0.85,stroke:"#fff","stroke-width":0.6},g);
      c.addEventListener("mouseenter",function(ev){c.setAttribute("r",7);c.setAttribute("stroke","#000");
       tip.innerHTML=(d.thumbs[i]>=0?"<img src=\\""+TH[d.thumbs[i]]+"\\">":"")+"<b></b>";tip.lastChild.textContent=d.labels[i];tip.style.display="block";});
      c.addEventListener("mousemove",function(ev){tip.style.left=(ev.clientX+14)+"px";tip.style.top=(ev.clientY+14)+"px";});
      c.addEventListener("mouseleave",function(){c.setAttribute("r",4.5);c.setAttribute("stroke","#fff");tip.style.display="none";});});
     var lg=el("g",{"class":"legend"},svg);
     d.names.forEach(function(n,k){var Y=T+10+k*17;if(Y>H-10)return;el("circle",{cx:W-R+16,cy:Y,r:5,fill:d.palette[k%d.palette.length]},lg);
      var t=el("text",{x:W-R+26,y:Y+4},lg);t.textContent=n;});
    });})();
    """
}

/// Just enough markdown for the reports' own text: headings, paragraphs, bullet lists, pipe tables,
/// `code`, **bold** and *emphasis*.
enum Markdown {
    static func html(_ text: String) -> String {
        var out = ""
        var paragraph: [String] = []
        var list: [String] = []
        var tableLines: [String] = []
        func flush() {
            if !paragraph.isEmpty { out += "<p>" + paragraph.map(inline).joined(separator: " ") + "</p>"; paragraph = [] }
            if !list.isEmpty { out += "<ul>" + list.map { "<li>\(inline($0))</li>" }.joined() + "</ul>"; list = [] }
            if !tableLines.isEmpty { out += table(tableLines); tableLines = [] }
        }
        for raw in text.components(separatedBy: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { flush(); continue }
            if line.hasPrefix("|") { if tableLines.isEmpty { flush() }; tableLines.append(line); continue }
            if !tableLines.isEmpty { flush() }
            if line.hasPrefix("#") {
                flush()
                let level = min(line.prefix { $0 == "#" }.count + 1, 5)
                out += "<h\(level)>" + inline(line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)) + "</h\(level)>"
            } else if line.hasPrefix("- ") || line.hasPrefix("* ") {
                if !paragraph.isEmpty { flush() }
                list.append(String(line.dropFirst(2)))
            } else if let first = line.first, first.isNumber, let dot = line.firstIndex(of: "."), line[..<dot].allSatisfy(\.isNumber) {
                if !paragraph.isEmpty { flush() }
                list.append(String(line[line.index(after: dot)...]).trimmingCharacters(in: .whitespaces))
            } else {
                if !list.isEmpty { flush() }
                paragraph.append(line)
            }
        }
        flush()
        return out
    }

    static func table(_ lines: [String]) -> String {
        func cells(_ line: String) -> [String] {
            var s = line.trimmingCharacters(in: .whitespaces)
            if s.hasPrefix("|") { s.removeFirst() }
            if s.hasSuffix("|") { s.removeLast() }
            return s.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "\u{1}", with: "|").trimmingCharacters(in: .whitespaces) }
        }
        let rows = lines.filter { !$0.replacingOccurrences(of: " ", with: "").allSatisfy { "|-:".contains($0) } }
        guard let head = rows.first else { return "" }
        var s = "<table><thead><tr>" + cells(head).map { "<th>\(inline($0))</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows.dropFirst() { s += "<tr>" + cells(r).map { "<td>\(inline($0))</td>" }.joined() + "</tr>" }
        return s + "</tbody></table>"
    }

    /// Escapes HTML, then applies `code`, **bold** and *emphasis*.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let tick = rest.firstIndex(of: "`") {
            out += emphasis(HTMLReport.escape(String(rest[..<tick])))
            let after = rest.index(after: tick)
            guard let close = rest[after...].firstIndex(of: "`") else { out += HTMLReport.escape(String(rest[tick...])); return out }
            out += "<code>" + HTMLReport.escape(String(rest[after..<close])) + "</code>"
            rest = rest[rest.index(after: close)...]
        }
        return out + emphasis(HTMLReport.escape(String(rest)))
    }

    static func emphasis(_ s: String) -> String {
        var t = links(s)
        t = replacePairs(t, marker: "**", open: "<b>", close: "</b>")
        t = replacePairs(t, marker: "*", open: "<i>", close: "</i>")
        return t
    }

    /// `[text](target)` → a link (text and target are already escaped).
    static func links(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let open = rest.firstIndex(of: "["),
              let close = rest[open...].firstIndex(of: "]"),
              rest.index(after: close) < rest.endIndex, rest[rest.index(after: close)] == "(",
              let end = rest[close...].firstIndex(of: ")") {
            out += rest[..<open]
            let text = rest[rest.index(after: open)..<close]
            let target = rest[rest.index(close, offsetBy: 2)..<end]
            out += "<a href=\"\(target)\">\(text)</a>"
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    static func replacePairs(_ s: String, marker: String, open: String, close: String) -> String {
        let parts = s.components(separatedBy: marker)
        guard parts.count >= 3 else { return s }
        var out = ""
        for (i, p) in parts.enumerated() {
            if i == 0 { out += p; continue }
            let isOpen = i % 2 == 1
            if isOpen && i == parts.count - 1 { out += marker + p } else { out += (isOpen ? open : close) + p }
        }
        return out
    }
}

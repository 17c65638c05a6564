package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/compare"
)

// The browser test loads report.html in headless Chromium from a loopback
// server and checks, from inside the page, that every chart has a size,
// that nothing raised an error and that nothing was fetched but the page.
//
// CI installs the browser with:
//
//	apt-get update && apt-get install -y chromium

// chromium returns the browser to test with, or "" when there is none.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

const probeNonce = "scalebench-test-probe"

// probeHead runs first and records errors, failed loads and policy
// violations; probeTail measures the charts once the page has loaded and
// writes the findings into a <pre id="sb-probe"> for --dump-dom.
const (
	probeHead = `<script nonce="` + probeNonce + `">
window.__sb = {errors: [], violations: []};
window.addEventListener("error", function (e) {
  var t = e.target, what = e.message || (t && (t.src || t.href || t.data || t.tagName)) || "unknown";
  window.__sb.errors.push("error: " + what);
}, true);
window.addEventListener("unhandledrejection", function (e) { window.__sb.errors.push("unhandled rejection: " + e.reason); });
document.addEventListener("securitypolicyviolation", function (e) { window.__sb.violations.push(e.violatedDirective + " " + e.blockedURI); });
(function () {
  var orig = console.error;
  console.error = function () { window.__sb.errors.push("console.error: " + Array.prototype.join.call(arguments, " ")); return orig.apply(console, arguments); };
})();
</script>`
	probeTail = `<script nonce="` + probeNonce + `">
(function () {
  function probe() {
    var charts = Array.prototype.map.call(document.querySelectorAll("figure"), function (f, i) {
      var s = f.querySelector("svg");
      if (!s) { return {index: i, missing: true}; }
      var r = s.getBoundingClientRect();
      return {index: i, label: s.getAttribute("aria-label") || "", width: r.width, height: r.height,
        texts: s.querySelectorAll("text").length, paths: s.querySelectorAll("path").length};
    });
    var name = null;
    try { name = JSON.parse(document.getElementById("results").textContent).scenario.name; }
    catch (e) { window.__sb.errors.push("results JSON: " + e); }
    var resources = performance.getEntriesByType("resource").map(function (e) { return e.name; });
    // Horizontal overflow: the page scrolling sideways, or any element
    // whose content is wider than its box (spilling out, clipped, or behind
    // a scrollbar).
    var overflows = [];
    var root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) {
      overflows.push("the page is " + root.scrollWidth + " px wide in a " + root.clientWidth + " px window");
    }
    Array.prototype.forEach.call(document.body.querySelectorAll("*"), function (el) {
      if (!(el instanceof HTMLElement) || el.id === "sb-probe" || el.clientWidth === 0) { return; }
      if (el.scrollWidth > el.clientWidth + 1) {
        var name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ").join(".") : "");
        var sec = el.closest("section[id]");
        overflows.push(name + (sec ? " in #" + sec.id : "") + ": content " + el.scrollWidth + " px wide in a " + el.clientWidth + " px box");
      }
    });
    var old = document.getElementById("sb-probe");
    if (old) { old.remove(); }
    var out = document.createElement("pre");
    out.id = "sb-probe";
    out.textContent = JSON.stringify({charts: charts, errors: window.__sb.errors, violations: window.__sb.violations,
      resources: resources, scenario: name, overflows: overflows});
    document.body.appendChild(out);
  }
  window.addEventListener("load", function () { setTimeout(probe, 300); });
})();
</script>`
)

// probeResult is what the in-page probe reports.
type probeResult struct {
	Charts []struct {
		Index         int
		Label         string
		Missing       bool
		Width, Height float64
		Texts, Paths  int
	}
	Errors     []string
	Violations []string
	Overflows  []string
	Resources  []string
	Scenario   *string
}

// instrument adds the probe to a report page and lets the report's
// Content-Security-Policy run it, and only it.
func instrument(t *testing.T, page string) string {
	t.Helper()
	const csp = `content="default-src 'none';`
	if !strings.Contains(page, csp) {
		t.Fatalf("report.html has no Content-Security-Policy starting %s", csp)
	}
	page = strings.Replace(page, csp, csp+` script-src 'nonce-`+probeNonce+`';`, 1)
	page = strings.Replace(page, "<head>", "<head>\n"+probeHead, 1)
	return strings.Replace(page, "</body>", probeTail+"\n</body>", 1)
}

var (
	probeOut   = regexp.MustCompile(`(?s)<pre id="sb-probe">(.*?)</pre>`)
	consoleLog = regexp.MustCompile(`(?m)^.*:CONSOLE[^\n]*$`)
)

// loadInChromium serves page on loopback, loads it in headless Chromium
// and returns the probe's findings, the paths the server was asked for and
// the browser's console lines.
func loadInChromium(t *testing.T, browser, page string, width int) (probeResult, []string, []string) {
	t.Helper()
	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+t.TempDir(),
		"--enable-logging=stderr", "--v=0",
		fmt.Sprintf("--window-size=%d,2000", width),
		"--virtual-time-budget=5000",
		"--dump-dom", srv.URL+"/",
	)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(stderr.String(), 2000))
	}
	m := probeOut.FindAllStringSubmatch(stdout.String(), -1)
	if len(m) == 0 {
		t.Fatalf("the page probe did not report (no #sb-probe in the DOM); chromium said:\n%s", tail(stderr.String(), 2000))
	}
	var res probeResult
	if err := json.Unmarshal([]byte(html.UnescapeString(m[len(m)-1][1])), &res); err != nil {
		t.Fatalf("probe output: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return res, append([]string(nil), requests...), consoleLog.FindAllString(stderr.String(), -1)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// pageProblems lists everything wrong with a loaded report.
func pageProblems(res probeResult, requests, console []string, wantCharts int) []string {
	var out []string
	if len(res.Charts) != wantCharts {
		out = append(out, fmt.Sprintf("%d figures on the page, want %d", len(res.Charts), wantCharts))
	}
	for _, c := range res.Charts {
		switch {
		case c.Missing:
			out = append(out, fmt.Sprintf("figure %d has no svg", c.Index))
		case !(c.Width > 0 && c.Height > 0):
			out = append(out, fmt.Sprintf("chart %d (%s) renders at %gx%g", c.Index, c.Label, c.Width, c.Height))
		case c.Texts == 0 || c.Paths == 0:
			out = append(out, fmt.Sprintf("chart %d (%s) has %d texts and %d paths", c.Index, c.Label, c.Texts, c.Paths))
		}
	}
	for _, e := range res.Errors {
		out = append(out, "page error: "+e)
	}
	for _, v := range res.Violations {
		out = append(out, "content security policy violation: "+v)
	}
	for _, o := range res.Overflows {
		out = append(out, "horizontal overflow: "+o)
	}
	for _, r := range res.Resources {
		out = append(out, "resource fetched: "+r)
	}
	if res.Scenario == nil || *res.Scenario == "" {
		out = append(out, "embedded results JSON not readable from the page")
	}
	for _, r := range requests {
		if r != "/" {
			out = append(out, "request to the server besides the page: "+r)
		}
	}
	if len(requests) == 0 {
		out = append(out, "the page was never requested")
	}
	for _, c := range console {
		out = append(out, "console: "+c)
	}
	return out
}

func TestReportInBrowser(t *testing.T) {
	browser := chromium()
	if browser == "" && os.Getenv("SCALEBENCH_REQUIRE_BROWSER") != "" {
		t.Fatal("SCALEBENCH_REQUIRE_BROWSER is set but no chromium is on PATH (apt-get install -y chromium)")
	}
	if browser == "" {
		t.Skip("no chromium on PATH (set $CHROMIUM, or: apt-get update && apt-get install -y chromium): browser test skipped")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	a := compare.Analyze(loadFixture(t, quickstartFile, quickstartRun))
	var buf bytes.Buffer
	if err := HTML(&buf, a); err != nil {
		t.Fatal(err)
	}
	page := instrument(t, buf.String())
	want := len(buildCharts(a))

	// The batch report has the makespan columns and the CPU stage panel.
	ba := compare.Analyze(loadFixture(t, batchFile, batchRun))
	var bbuf bytes.Buffer
	if err := HTML(&bbuf, ba); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name  string
		page  string
		want  int
		sizes []int
	}{
		// A laptop split screen, a laptop, a large monitor.
		{"quickstart", page, want, []int{900, 1400, 2200}},
		{"batch", instrument(t, bbuf.String()), len(buildCharts(ba)), []int{900}},
	}
	for _, pg := range pages {
		for _, width := range pg.sizes {
			t.Run(fmt.Sprintf("%s at %d px", pg.name, width), func(t *testing.T) {
				res, requests, console := loadInChromium(t, browser, pg.page, width)
				for _, p := range pageProblems(res, requests, console, pg.want) {
					t.Error(p)
				}
				if !t.Failed() {
					t.Logf("%d charts rendered, e.g. %q at %.0fx%.0f px", len(res.Charts), res.Charts[0].Label, res.Charts[0].Width, res.Charts[0].Height)
				}
			})
		}
	}

	// The checks must catch a broken page: a hidden chart, a remote
	// image, a script error and a table too wide for its box.
	t.Run("detects broken page", func(t *testing.T) {
		broken := strings.Replace(page, "<svg ", `<svg style="display:none" `, 1)
		broken = strings.Replace(broken, "</main>",
			`<img src="http://example.com/x.png" alt=""><script nonce="`+probeNonce+`">undefinedFunction();</script>`+
				`<div id="too-narrow" style="width:100px"><table><tr><td style="white-space:nowrap">a row far wider than one hundred pixels</td></tr></table></div></main>`, 1)
		res, requests, console := loadInChromium(t, browser, broken, 1400)
		got := strings.Join(pageProblems(res, requests, console, want), "\n")
		t.Logf("problems found:\n%s", got)
		for _, w := range []string{"renders at 0x0", "example.com", "undefinedFunction", "div#too-narrow"} {
			if !strings.Contains(got, w) {
				t.Errorf("problems do not mention %q:\n%s", w, got)
			}
		}
	})
}

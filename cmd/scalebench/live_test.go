package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/testutil"
	"github.com/scalebench/scalebench/internal/testutil/browser"
)

// liveRun is `scalebench run --live` running in the background.
type liveRun struct {
	cmd *exec.Cmd
	out string // output directory
	url string // the live page's

	mu     sync.Mutex
	stderr strings.Builder
	lines  chan string
	exited chan error
}

var liveURL = regexp.MustCompile(`live view: (http://\S+)`)

// startLive starts a run of the scenario text with --live and returns once
// it printed the page's URL.
func startLive(t *testing.T, scenario string, args ...string) *liveRun {
	t.Helper()
	dir := t.TempDir()
	sc := writeFile(t, dir, "live.yaml", scenario)
	r := &liveRun{out: filepath.Join(dir, "out"), lines: make(chan string, 1024), exited: make(chan error, 1)}
	r.cmd = exec.Command(bin, append([]string{"run", sc, "--out", r.out, "--live"}, args...)...)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
		close(r.lines)
		r.exited <- r.cmd.Wait()
	}()
	for line := range r.lines {
		if m := liveURL.FindStringSubmatch(line); m != nil {
			r.url = m[1]
			return r
		}
	}
	t.Fatalf("the run printed no live view URL:\n%s", r.log())
	return nil
}

func (r *liveRun) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// waitLine waits for a line of stderr that holds s.
func (r *liveRun) waitLine(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				t.Fatalf("the run ended before printing %q:\n%s", s, r.log())
			}
			if strings.Contains(line, s) {
				return
			}
		case <-timeout:
			t.Fatalf("the run did not print %q within 2 minutes:\n%s", s, r.log())
		}
	}
}

// sseClient reads an event stream and keeps the topics it was sent.
type sseClient struct {
	mu     sync.Mutex
	topics []string
	ended  chan struct{}
}

func connectSSE(t *testing.T, url string) *sseClient {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	c := &sseClient{ended: make(chan struct{})}
	go func() {
		defer close(c.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if topic, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				c.mu.Lock()
				c.topics = append(c.topics, topic)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *sseClient) got(topic string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.topics {
		if t == topic {
			return true
		}
	}
	return false
}

// Ctrl-C stops a run with live clients connected, one of them stalled,
// as soon as without them: the measuring stops within a second, and once
// the report is written the process exits within a second, each reading
// client sent the report first.
func TestLiveInterruptWithClients(t *testing.T) {
	testutil.Long(t, "a real run interrupted with live clients")
	r := startLive(t, `name: live-interrupt
images: {latency: 10ms, paths: [/64x64.png]}
load: {duration: 1s, warmup: 100ms, repeats: 1}
matrix: {workers: [1, 2, 3, 4, 5, 6, 7, 8]}
`)
	var clients []*sseClient
	for range 3 {
		clients = append(clients, connectSSE(t, r.url+"events"))
	}
	// A client that connects and never reads.
	u, err := url.Parse(r.url)
	if err != nil {
		t.Fatal(err)
	}
	stalled, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	fmt.Fprintf(stalled, "GET /events HTTP/1.1\r\nHost: %s\r\n\r\n", u.Host)
	r.waitLine(t, "measurement 2/8")
	testutil.Eventually(t, 30*time.Second, func() bool { return clients[0].got("report") }, "the clients were sent no report")

	interrupted := time.Now()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(r.out, "results.json")
	testutil.Eventually(t, 30*time.Second, func() bool { _, err := os.Stat(results); return err == nil }, "no results.json after the interrupt")
	stopped := time.Since(interrupted)
	testutil.Eventually(t, time.Minute, func() bool { _, err := os.Stat(filepath.Join(r.out, "report.html")); return err == nil }, "no report after the interrupt")
	reported := time.Now()
	var exitErr error
	select {
	case exitErr = <-r.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the run still runs 30 s after writing its report:\n%s", r.log())
	}
	r.exited <- exitErr // for the cleanup
	exited := time.Since(reported)
	t.Logf("stopped measuring %v after Ctrl-C, exited %v after writing its report", stopped.Round(time.Millisecond), exited.Round(time.Millisecond))
	var ee *exec.ExitError
	if !errors.As(exitErr, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want code 130\n%s", exitErr, r.log())
	}
	if stopped > time.Second {
		t.Errorf("the run stopped measuring %v after Ctrl-C, want within 1 s", stopped)
	}
	if exited > time.Second {
		t.Errorf("the run exited %v after writing its report, want within 1 s", exited)
	}
	for i, c := range clients {
		select {
		case <-c.ended:
		case <-time.After(10 * time.Second):
			t.Fatalf("client %d: its stream still open 10 s after the run exited", i)
		}
		if !c.got("final") {
			t.Errorf("client %d was not sent the report before the run exited", i)
		}
	}
}

var (
	figureTag  = regexp.MustCompile(`<figure id="fig-[^"]*"[^>]*data-points="(\d+)"`)
	scenarioH1 = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

// A real run watched in headless Chromium: while the run measures, the
// page's charts gain points as cells complete and the measurement under
// way shows its buckets; when it ends, the page is the report: the
// report.html the run wrote, with its figures and their points.
func TestLivePageInBrowser(t *testing.T) {
	testutil.Long(t, "a real run watched in a real browser")
	path := browser.Require(t)
	b, err := browser.Start(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if log := b.Close(); t.Failed() {
			t.Log("browser stderr:\n" + tail(log, 3000))
		}
	}()
	r := startLive(t, `name: live-browser
description: watched in a browser
images: {latency: 20ms, paths: [/160x120/ccc/aaa.jpg]}
thumbnail: {width: 32, height: 32}
load: {duration: 1500ms, warmup: 200ms, repeats: 1}
matrix: {workers: [1, 2, 4, 8, 16]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	page, err := b.Open(ctx, r.url)
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Loading    bool     // neither the live page nor the report yet
		Live       bool     // the live page (false: it became the report)
		Points     int      // data-points summed over the report's figures
		Buckets    int      // the measurement under way's bucket chart's points
		Figures    int      // figures in the report
		Scenario   string   // the results the page embeds: their scenario's name
		Violations []string // content security policy violations, while live
	}
	const probe = `(function () {
	  if (!window.__sbv) { window.__sbv = []; document.addEventListener("securitypolicyviolation", function (e) { window.__sbv.push(e.violatedDirective + " " + e.blockedURI); }); }
	  var live = !!document.getElementById("live-report");
	  var root = live ? document.getElementById("live-report") : document;
	  var pts = 0, figs = root.querySelectorAll("figure[data-points]");
	  figs.forEach(function (f) { pts += Number(f.getAttribute("data-points")); });
	  var b = document.getElementById("fig-live-buckets");
	  var name = "";
	  var res = document.getElementById("results");
	  if (res && !live) { try { name = JSON.parse(res.textContent).scenario.name; } catch (e) { name = "unreadable: " + e; } }
	  return {Loading: !live && !res, Live: live, Points: pts, Buckets: b ? Number(b.getAttribute("data-points")) : 0, Figures: figs.length, Scenario: name, Violations: window.__sbv || []};
	})()`
	defer func() {
		// What the page looked like, for a test that failed.
		if png, err := page.Screenshot(context.Background()); t.Failed() && err == nil {
			shot := filepath.Join(os.TempDir(), "scalebench-live-browser.png")
			if os.WriteFile(shot, png, 0o644) == nil {
				t.Logf("the page as it was: %s", shot)
			}
		}
	}()
	var seen []state
	var last state
	for {
		var s state
		if err := page.Eval(ctx, probe, &s); err != nil {
			t.Fatalf("probe: %v\nrun:\n%s", err, r.log())
		}
		if len(seen) == 0 || s.Points != last.Points || s.Buckets != last.Buckets || s.Live != last.Live {
			seen = append(seen, s)
		}
		last = s
		if !s.Live && !s.Loading {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the page never became the report; states seen: %+v\nrun:\n%s", seen, r.log())
		case <-time.After(100 * time.Millisecond):
		}
	}
	var exitErr error
	select {
	case exitErr = <-r.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the run still runs 30 s after the page became its report:\n%s", r.log())
	}
	r.exited <- exitErr
	if exitErr != nil {
		t.Fatalf("run: %v\n%s", exitErr, r.log())
	}

	// While live: the points grew, step by step, and buckets arrived.
	var growth []int
	buckets := 0
	for _, s := range seen {
		if s.Live && !s.Loading {
			if len(growth) == 0 || s.Points > growth[len(growth)-1] {
				growth = append(growth, s.Points)
			}
			buckets = max(buckets, s.Buckets)
			for _, v := range s.Violations {
				t.Errorf("content security policy violation on the live page: %s", v)
			}
		}
	}
	t.Logf("plotted points as the run went: %v; the most buckets of one measurement shown: %d", growth, buckets)
	if len(growth) < 3 {
		t.Errorf("the plotted points took %d increasing values while the run measured (%v), want 3 or more", len(growth), growth)
	}
	if buckets < 2 {
		t.Errorf("the measurement under way showed at most %d buckets, want 2 or more", buckets)
	}

	// At the end the page is the report the run wrote.
	html, err := os.ReadFile(filepath.Join(r.out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	figs := figureTag.FindAllSubmatch(html, -1)
	pts := 0
	for _, m := range figs {
		n, _ := strconv.Atoi(string(m[1]))
		pts += n
	}
	if last.Figures != len(figs) || last.Points != pts || last.Scenario != "live-browser" {
		t.Errorf("the final page: %d figures, %d points, results of %q; report.html: %d figures, %d points, of live-browser",
			last.Figures, last.Points, last.Scenario, len(figs), pts)
	}
	if len(growth) > 0 && growth[len(growth)-1] > pts {
		t.Errorf("the live page plotted %d points, more than the report's %d", growth[len(growth)-1], pts)
	}
	var h1 string
	if err := page.Eval(ctx, `document.querySelector("h1").textContent`, &h1); err != nil || h1 != string(scenarioH1.FindSubmatch(html)[1]) {
		t.Errorf("the final page's title %q (%v), report.html's %q", h1, err, scenarioH1.FindSubmatch(html)[1])
	}
}

// `scalebench watch DIR` follows a run started elsewhere: started before
// the run, it waits for it, shows each measurement as the journal records
// it and, once the run wrote it, its report; Ctrl-C ends it.
func TestWatchFollowsRun(t *testing.T) {
	testutil.Long(t, "a real run followed by watch")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	watch := exec.Command(bin, "watch", out, "--every", "100ms")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	watched := make(chan error, 1)
	go func() { watched <- watch.Wait() }()
	defer func() {
		_ = watch.Process.Kill()
		<-watched
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := liveURL.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("watch printed %q (%v), want the live view's URL", line, err)
	}
	c := connectSSE(t, m[1]+"events")

	sc := writeFile(t, dir, "watched.yaml", `name: watched
images: {latency: 10ms, paths: [/64x64.png]}
load: {duration: 500ms, warmup: 0s, repeats: 1}
matrix: {workers: [1, 2, 4]}
`)
	if stdout, stderr, code := scalebench(t, "run", sc, "--out", out); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return c.got("final") }, "watch never sent the run's report")
	for _, topic := range []string{"header", "plan", "report"} {
		if !c.got(topic) {
			t.Errorf("watch sent no %s event while the run measured", topic)
		}
	}
	page, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(html) {
		t.Errorf("the page once the run ended is not its report.html (%d bytes, want %d)", len(body), len(html))
	}
	began := time.Now()
	if err := watch.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-watched:
		watched <- err
		if err != nil {
			t.Errorf("watch ended with %v after Ctrl-C", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch still runs 5 s after Ctrl-C")
	}
	t.Logf("watch ended %v after Ctrl-C", time.Since(began).Round(time.Millisecond))
}

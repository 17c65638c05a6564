package live

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/results/resultstest"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/testutil"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/report"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// event is one event of the stream.
type event struct{ id, topic, data string }

// events reads a stream's events until it ends.
func events(t *testing.T, url string) (*latest, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan event, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		var e event
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data != nil {
					e.data = strings.Join(data, "\n")
					ch <- e
				}
				e, data = event{}, nil
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.topic = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			}
		}
	}()
	return &latest{ch: ch, last: map[string]string{}}, func() {
		cancel()
		resp.Body.Close()
		for range ch {
		}
		<-done
	}
}

// latest keeps the last event of each topic a stream sent.
type latest struct {
	ch   <-chan event
	last map[string]string
}

// until reads events until the latest of topic, read now or before,
// satisfies ok, and returns it.
func (l *latest) until(t *testing.T, topic string, ok func(string) bool) string {
	t.Helper()
	if d, seen := l.last[topic]; seen && ok(d) {
		return d
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, open := <-l.ch:
			if !open {
				t.Fatalf("the stream ended before the %s event looked for", topic)
			}
			l.last[e.topic] = e.data
			if e.topic == topic && ok(e.data) {
				return e.data
			}
		case <-timeout:
			t.Fatalf("no %s event as looked for within 30 s; the last was:\n%s", topic, l.last[topic])
		}
	}
}

var pointsAttr = regexp.MustCompile(`data-points="(\d+)"`)

// points sums the data-points of the figures in html.
func points(html string) int {
	n := 0
	for _, m := range pointsAttr.FindAllStringSubmatch(html, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}

// replicaBucket is a replica's bucket i of jobs of the latencies given,
// in ms.
func replicaBucket(id string, replica, i int, latencies ...int64) runner.Bucket {
	var l worker.Latencies
	for _, ms := range latencies {
		l = l.Merge(worker.Latencies{{Micros: ms * 1000, Count: 1}})
	}
	return runner.Bucket{ID: id, Replica: replica, Progress: worker.Progress{
		Bucket: i, Width: 250 * time.Millisecond, Jobs: int64(len(latencies)), Latency: l}}
}

func serve(t *testing.T, opt Options) (*View, *Server) {
	t.Helper()
	v := New(opt)
	srv, err := Serve(DefaultAddr, v)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Close(time.Second)
		v.Close()
		v.Wait()
	})
	return v, srv
}

// The view of a run of this process: the plan, the measurement under way
// bucket by bucket (the replicas' buckets merged), and the report gaining
// points as measurements are recorded; at the end the finished report
// takes the page's place, and is what the page serves from then on.
func TestViewOfARun(t *testing.T) {
	full := resultstest.Run(resultstest.Grid, 4, 2)
	v, srv := serve(t, Options{PartEvery: 10 * time.Millisecond, ReportEvery: 10 * time.Millisecond})
	head := *full
	head.Cells = make([]results.Cell, len(full.Cells))
	for i, c := range full.Cells {
		head.Cells[i] = results.Cell{Params: c.Params}
	}
	v.Begin(&head)
	ch, stop := events(t, srv.URL+"events")
	defer stop()
	ch.until(t, TopicHeader, func(d string) bool { return strings.Contains(d, "<h1>large</h1>") })
	ch.until(t, TopicPlan, func(d string) bool { return strings.Contains(d, "0 of 8 measurements done, 8 left") })

	// The first measurement, two replicas: bucket 0 of both is merged.
	v.Measuring(runner.Measuring{Step: 0, Steps: 8, Cell: 0, Repeat: 0, ID: "m0-0", Replicas: 2, Window: 2 * time.Second, Bucket: 250 * time.Millisecond, Started: time.Now()})
	v.Bucket(replicaBucket("m0-0", 0, 0, 10, 10, 10, 10))
	v.Bucket(replicaBucket("m0-0", 1, 0, 10, 10, 10, 50))
	v.Bucket(replicaBucket("m0-0", 1, 0, 99, 99)) // the same replica's bucket again: dropped
	v.Bucket(replicaBucket("m9-0", 0, 1, 99))     // another measurement's: dropped
	cur := ch.until(t, TopicCurrent, func(d string) bool { return strings.Contains(d, "jobs so far</dt><dd>8<") })
	for _, want := range []string{"<svg", "32 jobs/s", "p50, last bucket</dt><dd>10", "p99, last bucket</dt><dd>50", `data-points="3"`} {
		if !strings.Contains(cur, want) {
			t.Errorf("the measurement under way does not show %q:\n%s", want, cur)
		}
	}

	// Measurements recorded: the report gains points, the plan counts them.
	last := 0
	for i, s := range full.Order[:2] {
		v.Recorded(results.Entry{Step: i, Cell: s.Cell, Result: full.Cells[s.Cell].Repeats[s.Repeat]})
		rep := ch.until(t, TopicReport, func(d string) bool { return points(d) > last })
		last = points(rep)
	}
	ch.until(t, TopicPlan, func(d string) bool { return strings.Contains(d, "2 of 8 measurements done, 6 left") })

	// The page, opened now, holds the parts so far and follows from there.
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != report.LivePolicy {
		t.Errorf("the page's Content-Security-Policy: %q, want %q", got, report.LivePolicy)
	}
	page := get(t, srv.URL)
	for _, want := range []string{"Content-Security-Policy", `data-since="`, "2 of 8 measurements done", `id="live-report"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not hold %q", want)
		}
	}
	if points(page) < last {
		t.Errorf("the page plots %d points, the last report event %d", points(page), last)
	}

	v.Ended()
	final := []byte("<!DOCTYPE html><html><body>the report</body></html>")
	v.Finish(final)
	if got := ch.until(t, TopicFinal, func(string) bool { return true }); got != string(final) {
		t.Errorf("final event %q, want the report page", got)
	}
	if got := get(t, srv.URL); got != string(final) {
		t.Errorf("the page once the run ended: %q, want the report", got)
	}
}

// Nothing is drawn while no one watches; the first client to connect gets
// the parts as they are then.
func TestDrawsOnlyWhenWatched(t *testing.T) {
	v, srv := serve(t, Options{PartEvery: 10 * time.Millisecond, ReportEvery: 10 * time.Millisecond})
	full := resultstest.Run(resultstest.Grid, 2, 1)
	v.Begin(full)
	time.Sleep(200 * time.Millisecond)
	parts, _ := v.Stream().Latest(TopicPlan, TopicReport)
	if parts[0] != nil || parts[1] != nil {
		t.Fatal("the view drew its parts with no one watching")
	}
	ch, stop := events(t, srv.URL+"events")
	defer stop()
	ch.until(t, TopicReport, func(d string) bool { return points(d) > 0 })
}

// A watch of a run started elsewhere: the view follows the journal as it
// grows, and shows the run's report.html once the run wrote it.
func TestFollowJournal(t *testing.T) {
	dir := t.TempDir()
	full := resultstest.Run(resultstest.Grid, 3, 1)
	v, srv := serve(t, Options{PartEvery: 10 * time.Millisecond, ReportEvery: 10 * time.Millisecond, Source: filepath.Join(dir, results.JournalName)})
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- Follow(ctx, dir, v, 20*time.Millisecond) }()
	defer func() { cancel(); <-followed }()
	ch, stop := events(t, srv.URL+"events")
	defer stop()
	ch.until(t, TopicPlan, func(d string) bool { return strings.Contains(d, "no journal in") })

	j, err := results.CreateJournal(filepath.Join(dir, results.JournalName), full)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ch.until(t, TopicPlan, func(d string) bool { return strings.Contains(d, "0 of 3 measurements done") })
	last := 0
	for i, s := range full.Order {
		rep := full.Cells[s.Cell].Repeats[s.Repeat]
		if err := j.Append(results.Entry{Step: rep.Seq, Cell: s.Cell, Result: rep}); err != nil {
			t.Fatal(err)
		}
		ch.until(t, TopicPlan, func(d string) bool { return strings.Contains(d, strconv.Itoa(i+1)+" of 3 measurements done") })
		r := ch.until(t, TopicReport, func(d string) bool { return points(d) > last })
		last = points(r)
	}

	// The run writes its results, then its report: the report takes the
	// page's place.
	if err := results.Write(filepath.Join(dir, "results.json"), full); err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := report.HTML(&page, compare.Analyze(full)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ch.until(t, TopicFinal, func(string) bool { return true }); got != strings.ReplaceAll(page.String(), "\r\n", "\n") {
		t.Errorf("the final event is not the run's report.html (%d bytes, want %d)", len(got), page.Len())
	}
}

// The server is read-only, serves the page and the stream alone, and the
// page holds nothing of the process's environment.
func TestServerReadOnly(t *testing.T) {
	const secret = "s3cr3t-token-value"
	t.Setenv("SCALEBENCH_NATS_TOKEN", secret)
	v, srv := serve(t, Options{Always: true, PartEvery: 10 * time.Millisecond, ReportEvery: 10 * time.Millisecond})
	v.Begin(resultstest.Run(resultstest.Grid, 2, 1))
	testutil.Eventually(t, 30*time.Second, func() bool {
		parts, _ := v.Stream().Latest(TopicReport)
		return parts[0] != nil
	}, "the report was never drawn")
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodPut, "/events", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/results.json", http.StatusNotFound},
		{http.MethodGet, "/../../etc/passwd", http.StatusNotFound},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+strings.TrimPrefix(tc.path, "/"), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %s, want %d", tc.method, tc.path, resp.Status, tc.status)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no X-Content-Type-Options: nosniff", tc.method, tc.path)
		}
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("%s %s: the response holds the environment's token", tc.method, tc.path)
		}
	}
	// A request for another host, as a web page that points a name of
	// its own at this machine would send (DNS rebinding), is refused.
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "rebound.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request for host %s: %s, want 403", req.Host, resp.Status)
	}
	page := get(t, srv.URL)
	if bytes.Contains([]byte(page), []byte(secret)) {
		t.Error("the page holds the environment's token")
	}
	for _, ext := range []string{`src="http`, `href="http`, "@import", "url(http"} {
		if strings.Contains(page, ext) {
			t.Errorf("the page loads %q from the network", ext)
		}
	}
}

// Closing the server ends its streams at once, a stalled client's too.
func TestCloseWithClients(t *testing.T) {
	v := New(Options{})
	srv, err := Serve(DefaultAddr, v)
	if err != nil {
		t.Fatal(err)
	}
	v.Begin(resultstest.Run(resultstest.Grid, 2, 1))
	var stops []func()
	for range 5 {
		_, stop := events(t, srv.URL+"events")
		stops = append(stops, stop)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return v.Stream().Clients() == 5 }, "clients never connected")
	began := time.Now()
	if err := srv.Close(300 * time.Millisecond); err != nil {
		t.Error(err)
	}
	v.Close()
	if d := time.Since(began); d > time.Second {
		t.Errorf("closing with 5 clients took %v", d)
	}
	for _, s := range stops {
		s()
	}
	v.Wait()
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
